/**
 * Compiles a pattern sequence into the states and transitions of an NFA, the way Flink's
 * NFACompiler does, so that matches are Flink's: built backwards from the final state, one or more
 * states per stage, each with TAKE (consume the event, move on), IGNORE (skip it, stay) and
 * PROCEED (an epsilon move that lets the same event be tried by the next stage) transitions.
 *
 * - a single stage: a state taking to the next; relaxed contiguity adds an IGNORE on "not my
 *   condition", non-deterministic relaxed an IGNORE on anything, strict none;
 * - times(from, to): an entry state, from − 1 mandatory states and to − from optional ones (each
 *   with a PROCEED to what follows the stage), inner contiguity between them;
 * - a loop (oneOrMore, timesOrMore): the times chain ending in a looping state that takes into
 *   itself and proceeds to the next stage; `until` is ANDed (negated) into its TAKE and IGNORE;
 * - optional: the entry state proceeds to what follows; an optional state that ignored an event
 *   moves to a copy without the PROCEED, so each skipping path is built once;
 * - greedy: the states that follow the stage may not take or ignore an event the stage could take.
 *
 * Not compiled (refused by the API instead): notNext/notFollowedBy, group patterns.
 */
import { WeirError } from '../errors.ts';
import { isThenable, promiseReturned } from '../functions/sync.ts';
import type { Condition, ConditionContext, Contiguity, StageSpec } from './pattern.ts';
import type { Pattern } from './pattern.ts';
import type { AfterMatchSkipStrategy } from './skip-strategy.ts';

/** null: always true. */
export type CompiledCondition<T> = ((event: T, ctx: ConditionContext<T>) => boolean) | null;

export type Action = 'take' | 'ignore' | 'proceed';

export interface Transition<T> {
  readonly action: Action;
  readonly source: number;
  readonly target: number;
  condition: CompiledCondition<T>;
}

export interface NfaStateDef<T> {
  readonly id: number;
  /** The stage this state belongs to (index into `stages`), -1 for the final state. */
  readonly stage: number;
  readonly isFinal: boolean;
  readonly transitions: Transition<T>[];
}

export interface CompiledNfa<T> {
  readonly states: NfaStateDef<T>[];
  readonly startState: number;
  readonly stageNames: string[];
  /** 0: no window. */
  readonly windowMs: number;
  readonly skip: AfterMatchSkipStrategy;
}

export const finalStateName = '$end$';

export function compileNfa<T>(pattern: Pattern<T>): CompiledNfa<T> {
  const stages = pattern.stages();
  const names = stages.map((s) => s.name);
  const seen = new Set<string>();
  for (const name of names) {
    if (name === finalStateName) throw new WeirError('WEIR_JOB_DEFINITION', `CEP pattern: the stage name "${finalStateName}" is reserved`);
    if (seen.has(name)) throw new WeirError('WEIR_JOB_DEFINITION', `CEP pattern: the stage name "${name}" is used twice; names must be unique`);
    seen.add(name);
  }
  const skip = pattern.skipStrategy;
  if (skip.patternName !== undefined && !seen.has(skip.patternName)) {
    throw new WeirError('WEIR_JOB_DEFINITION', `CEP pattern: the after-match skip strategy ${skip} names no stage of the pattern (stages: ${names.join(', ')})`);
  }
  const builder = new Builder<T>(stages);
  let sink = builder.newState(-1, true);
  for (let i = stages.length - 1; i >= 0; i--) sink = builder.convertStage(i, sink);
  return { states: builder.states, startState: sink, stageNames: names, windowMs: pattern.windowTimeMs() ?? 0, skip };
}

/** Calls a compiled condition, refusing a Promise (it would be truthy, and its work lost). */
export function holds<T>(condition: CompiledCondition<T>, event: T, ctx: ConditionContext<T>): boolean {
  if (condition === null) return true;
  const result = condition(event, ctx) as unknown;
  if (isThenable(result)) throw promiseReturned(result, 'CEP condition');
  return result === true || (result !== false && Boolean(result));
}

const not =
  <T>(c: CompiledCondition<T>): CompiledCondition<T> =>
  c === null ? () => false : (e, ctx) => !holds(c, e, ctx);

const and = <T>(a: CompiledCondition<T>, b: CompiledCondition<T>): CompiledCondition<T> => (a === null ? b : b === null ? a : (e, ctx) => holds(a, e, ctx) && holds(b, e, ctx));

class Builder<T> {
  readonly states: NfaStateDef<T>[] = [];
  /** Greedy with until: the state a PROCEED on the until condition goes to, a copy made before the greedy rewrite. */
  private readonly originalOf = new Map<number, number>();
  private stage!: StageSpec<T>;
  private stageIndex = 0;

  constructor(private readonly stages: StageSpec<T>[]) {}

  newState(stage: number, isFinal = false): number {
    const id = this.states.length;
    this.states.push({ id, stage, isFinal, transitions: [] });
    return id;
  }

  private add(source: number, action: Action, target: number, condition: CompiledCondition<T>): void {
    this.states[source].transitions.push({ action, source, target, condition });
  }

  convertStage(index: number, sink: number): number {
    this.stage = this.stages[index];
    this.stageIndex = index;
    const stage = this.stage;
    if (stage.kind === 'looping') return this.times(this.looping(sink), sink, stage.from, stage.from);
    if (stage.kind === 'times') return this.times(sink, sink, stage.from, stage.to);
    return this.singleton(sink, sink, this.takeCondition(), this.ignoreCondition(stage.contiguity), stage.optional);
  }

  private takeCondition(): CompiledCondition<T> {
    return (this.stage.condition as Condition<T> | undefined) ?? null;
  }

  /** undefined: no IGNORE transition at all. */
  private ignoreCondition(contiguity: Contiguity): CompiledCondition<T> | undefined {
    if (contiguity === 'strict') return undefined;
    if (contiguity === 'any') return null;
    return this.stage.condition === undefined ? undefined : not(this.takeCondition()); // "not true" never ignores: no transition
  }

  private withUntil(condition: CompiledCondition<T> | undefined, isTake: boolean): CompiledCondition<T> | undefined {
    const until = this.stage.until as Condition<T> | undefined;
    if (until === undefined) return condition;
    if (condition !== undefined) return and(not(until), condition);
    return isTake ? not(until) : undefined;
  }

  private singleton(sink: number, proceedTo: number | undefined, take: CompiledCondition<T>, ignore: CompiledCondition<T> | undefined, isOptional: boolean): number {
    const state = this.newState(this.stageIndex);
    this.add(state, 'take', sink, take);
    if (isOptional && proceedTo !== undefined) {
      const until = this.stage.until as Condition<T> | undefined;
      if (this.stage.greedy && until !== undefined) {
        this.add(state, 'proceed', this.originalOf.get(proceedTo) ?? proceedTo, until);
        this.add(state, 'proceed', proceedTo, not(until));
      } else {
        this.add(state, 'proceed', proceedTo, null);
      }
    }
    if (ignore !== undefined) {
      let ignoreState = state;
      if (isOptional) {
        ignoreState = this.newState(this.stageIndex);
        this.add(ignoreState, 'take', sink, take);
        this.add(ignoreState, 'ignore', ignoreState, ignore);
      }
      this.add(state, 'ignore', ignoreState, ignore);
    }
    return state;
  }

  private looping(sink: number): number {
    const ignore = this.withUntil(this.ignoreCondition(this.stage.inner), false);
    const take = this.withUntil(this.takeCondition(), true)!;
    const loop = this.newState(this.stageIndex);
    const until = this.stage.until as Condition<T> | undefined;
    if (this.stage.greedy) {
      if (until !== undefined) {
        const copy = this.copy(sink);
        this.add(loop, 'proceed', copy, until);
        this.originalOf.set(sink, copy);
      }
      this.add(loop, 'proceed', sink, until !== undefined ? not(until) : null);
      this.greedyRewrite(sink, this.takeCondition());
    } else {
      this.add(loop, 'proceed', sink, null);
    }
    this.add(loop, 'take', loop, take);
    if (ignore !== undefined) {
      const ignoreState = this.newState(this.stageIndex);
      this.add(ignoreState, 'take', loop, take);
      this.add(ignoreState, 'ignore', ignoreState, ignore);
      this.add(loop, 'ignore', ignoreState, ignore);
    }
    return loop;
  }

  private times(sink: number, proceedTo: number, from: number, to: number): number {
    const innerIgnore = this.withUntil(this.ignoreCondition(this.stage.inner), false);
    const take = this.withUntil(this.takeCondition(), true)!;
    if (this.stage.greedy && from !== to) {
      if (this.stage.until !== undefined) this.originalOf.set(sink, this.copy(sink));
      this.greedyRewrite(sink, take);
    }
    let last = sink;
    for (let i = from; i < to; i++) last = this.singleton(last, proceedTo, take, innerIgnore, true);
    for (let i = 0; i < from - 1; i++) last = this.singleton(last, undefined, take, innerIgnore, false);
    return this.singleton(last, proceedTo, take, this.ignoreCondition(this.stage.contiguity), this.stage.optional);
  }

  /** Greedy: every transition out of `state` (the stage that follows) also needs "the greedy stage could not take this event". */
  private greedyRewrite(state: number, take: CompiledCondition<T>): void {
    for (const t of this.states[state].transitions) t.condition = and(t.condition, not(take));
  }

  private copy(state: number): number {
    const original = this.states[state];
    const copy = this.newState(original.stage, original.isFinal);
    for (const t of original.transitions) this.add(copy, t.action, t.target === state ? copy : t.target, t.condition);
    return copy;
  }
}
