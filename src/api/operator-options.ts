/**
 * What every operator's options are checked for when the job is defined: no key the operator does
 * not read (in plain JavaScript a misspelt option would be dropped without a word), and an
 * onError weir knows.
 */
import { WeirError } from '../errors.ts';
import { checkKnownKeys, type KeySet } from '../util/known-keys.ts';
import { errorPolicies, type ErrorPolicy } from './graph.ts';
import type { OperatorOptions } from './stream.ts';

export const operatorOptionKeys = { name: true, uid: true, onError: true } as const satisfies KeySet<OperatorOptions>;

/** An operator's options (`what`: the operator, for the message); `known`: its keys, when it takes more than name, uid and onError. */
export function checkOperatorOptions(what: string, options: object, known: Readonly<Record<string, true>> = operatorOptionKeys): void {
  checkKnownKeys(what, options, known, 'WEIR_JOB_DEFINITION');
  checkOptions(options);
}

/** onError, when given, is one weir knows. */
function checkOptions(options: { onError?: unknown }): void {
  if (options.onError !== undefined && !errorPolicies.includes(options.onError as ErrorPolicy)) {
    throw new WeirError('WEIR_JOB_DEFINITION', `onError must be 'fail' or 'dead-letter', not ${JSON.stringify(options.onError)}`);
  }
}

/**
 * A window function argument (`reduce(fn, windowFn, options)`, `aggregate`, `process`), checked when
 * the job is defined: a function, or where `objects` is true an object with process() (Flink's
 * ProcessWindowFunction). An options object in its place — `window(…).reduce(fn, { name })`, the
 * way keyBy().reduce takes them — would otherwise fail only when the first window fires.
 */
export function checkWindowFunction(windowFn: unknown, operator: string, call: string, objects: boolean): void {
  if (typeof windowFn === 'function') return;
  if (objects && typeof windowFn === 'object' && windowFn !== null && typeof (windowFn as { process?: unknown }).process === 'function') return;
  const expected = objects ? 'a function or an object with process()' : 'a function';
  const optionsLike = typeof windowFn === 'object' && windowFn !== null && Object.keys(windowFn).every((k) => k in operatorOptionKeys);
  const hint = optionsLike ? `; options go after it: ${call}(…, undefined, ${JSON.stringify(windowFn)})` : '';
  throw new WeirError('WEIR_JOB_DEFINITION', `operator "${operator}": the window function of ${call} must be ${expected}, not ${windowFn === null ? 'null' : typeof windowFn}${hint}`);
}
