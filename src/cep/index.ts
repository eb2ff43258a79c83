export { CEP, PatternStream } from './cep.ts';
export { Pattern, type Condition, type ConditionContext, type Contiguity } from './pattern.ts';
export { AfterMatchSkipStrategy } from './skip-strategy.ts';
export { CEP_LATE_RECORDS_TAG, type PatternContext, type PatternProcessFunction } from './cep-operator.ts';
export type { Match } from './nfa.ts';
