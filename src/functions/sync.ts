/**
 * User functions are called synchronously and their results used at once: a function that returns
 * a Promise would have its work (and every record it emits after an await) lost. Such functions are
 * refused where weir can tell: an `async function` when the job is defined, a returned thenable
 * when the first record meets it (one typeof check on the result: no cost worth measuring).
 */
import { WeirError } from '../errors.ts';

/** What to do instead, said the same way wherever an asynchronous function is refused. */
const instead =
  'weir calls user functions synchronously and does not await what they return, so the result (and anything emitted after an await) would be lost. ' +
  'Keep the function synchronous, or do the asynchronous work (a lookup, a request) before the records reach weir, or in stream.mapAsync(fn, { capacity, timeoutMs }), which awaits it with at most capacity requests in flight per worker.';

/** True for an `async function`/`async () =>` (and async generators). */
export function isAsyncFunction(fn: unknown): boolean {
  if (typeof fn !== 'function') return false;
  const kind = fn.constructor?.name;
  return kind === 'AsyncFunction' || kind === 'AsyncGeneratorFunction';
}

/** Refuses an async function at job definition (`role`: "map function", "key selector", …). */
export function rejectAsyncFunction(fn: unknown, operator: string, role: string): void {
  if (isAsyncFunction(fn)) {
    throw new WeirError('WEIR_ASYNC_FUNCTION', `operator "${operator}": the ${role} is an async function. ${instead}`, { operator });
  }
}

/** Refuses every async method of a function object (processElement, onTimer, …). */
export function rejectAsyncMethods(object: object, operator: string, what: string): void {
  for (const name of ['open', 'close', 'processElement', 'processElement1', 'processElement2', 'onTimer', 'process', 'add', 'createAccumulator', 'getResult', 'merge']) {
    rejectAsyncFunction((object as Record<string, unknown>)[name], operator, `${what}'s ${name}`);
  }
}

/** A thenable: what an async function returns. */
export function isThenable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Thrown where a function's result is checked without knowing the operator (window functions);
 * the operator that catches it turns it into WEIR_ASYNC_FUNCTION with its name and the record's position.
 */
export class PromiseReturned extends Error {
  constructor(readonly role: string) {
    super(`the ${role} returned a Promise`);
  }
}

/** Throws PromiseReturned when `value` is a thenable; returns it otherwise. */
export function expectSync<T>(value: T, role: string): T {
  if (typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function') throw promiseReturned(value, role);
  return value;
}

/**
 * expectSync for a function whose result weir keeps as the state of what it folded so far — a
 * reduce, an aggregate's add, merge and createAccumulator, a keyBy's combine: undefined there
 * means "nothing yet", so it would drop every record folded before without a word (Flink fails on
 * a null there). A TypeError: the operator that catches it names itself and the record.
 */
export function expectFolded<T>(value: T, role: string): T {
  if (value === undefined) throw new TypeError(`the ${role} returned undefined; it must return what it folded (undefined would drop the records folded so far)`);
  return expectSync(value, role);
}

/** A PromiseReturned for `value`, whose rejection (if any) is then handled: the job's error is ours, not an unhandled rejection. */
export function promiseReturned(value: unknown, role: string): PromiseReturned {
  (value as PromiseLike<unknown>).then(undefined, () => {});
  return new PromiseReturned(role);
}

/** The job's error for a function that returned a Promise, naming the operator and the record (or timer). */
export function asyncResultError(role: string, operator: string, partition: number | undefined, offset: number | string | undefined): WeirError {
  const where = partition === undefined ? (offset === undefined ? '' : ` (${offset})`) : ` for the record from source partition ${partition} at offset ${offset}`;
  return new WeirError('WEIR_ASYNC_FUNCTION', `operator "${operator}": the ${role} returned a Promise${where}. ${instead}`, { operator, partition, offset });
}
