/**
 * What a window holds and what is computed when it fires.
 *
 * Contents are kept incrementally (reduce, aggregate: one value per window) or as the full list
 * of records (process). Either way they are stored in keyed state, so they must be plain data
 * (objects, arrays, numbers, strings): class instances lose their prototype in the LMDB backend.
 */
import { WeirError } from '../errors.ts';
import type { AggregateFunction, Collector } from '../functions/contracts.ts';
import type { Window } from './windows.ts';
import { expectFolded, expectSync } from '../functions/sync.ts';

/** What a process-window function can see besides the records. */
export interface ProcessWindowContext<K, W extends Window> {
  readonly key: K;
  readonly window: W;
  currentWatermark(): number;
  currentProcessingTime(): number;
  /** Sends a record to side output `tag` (`stream.sideOutput(tag)`). */
  output<X>(tag: string, value: X): void;
}

/** Flink's ProcessWindowFunction: called when the window fires, with everything it holds. */
export interface ProcessWindowFunction<IN, OUT, K, W extends Window> {
  process(key: K, context: ProcessWindowContext<K, W>, elements: IN[], out: Collector<OUT>): void;
}

/** `(key, window, elements, out) => …` or an object with `process(key, context, elements, out)`. */
export type ProcessWindowFn<IN, OUT, K, W extends Window> =
  | ((key: K, window: W, elements: IN[], out: Collector<OUT>) => void)
  | ProcessWindowFunction<IN, OUT, K, W>;

export function toProcessWindowFunction<IN, OUT, K, W extends Window>(fn: ProcessWindowFn<IN, OUT, K, W>): ProcessWindowFunction<IN, OUT, K, W> {
  if (typeof fn === 'function') return { process: (key, context, elements, out) => expectSync(fn(key, context.window, elements, out), 'window function') };
  return { process: (key, context, elements, out) => expectSync(fn.process(key, context, elements, out), 'window function') };
}

/** How a window's contents grow, merge and are handed to the window function. */
export interface WindowContents<T, C, R> {
  /** `contents` is undefined for an empty (new or purged) window. */
  add(contents: C | undefined, value: T): C;
  /** Combines two windows' contents when sessions merge. */
  merge(a: C, b: C): C;
  /** What the process-window function receives. */
  elements(contents: C): R[];
  /**
   * Folds a partial aggregate of other records (made with `add` on the sending side of the
   * exchange: pre-aggregation) into a window's contents, undefined for an empty window. Present
   * only when the contents can be combined that way (reduce; aggregate with `merge`). Never keeps
   * `partial` itself: one partial goes into several sliding windows.
   */
  mergeInto?(contents: C | undefined, partial: C): C;
  /** `add` appends the record, or nothing, and changes nothing else of the contents (a list): only the record is new. */
  readonly appends?: boolean;
}

/** Incremental: the reduced value (Flink's ReducingState). */
export function reduceContents<T>(reduce: (a: T, b: T) => T): WindowContents<T, T, T> {
  return {
    add: (contents, value) => (contents === undefined ? value : expectFolded(reduce(contents, value), 'reduce function')),
    merge: (a, b) => expectFolded(reduce(a, b), 'reduce function'),
    elements: (contents) => [contents],
    // As `add` with one record: a reduce of one value is that value (shared, as a record is).
    mergeInto: (contents, partial) => (contents === undefined ? partial : expectFolded(reduce(contents, partial), 'reduce function')),
  };
}

/** Incremental: an accumulator (Flink's AggregatingState); session windows need `merge`. */
export function aggregateContents<T, ACC, R>(aggregate: AggregateFunction<T, ACC, R>, merging: boolean): WindowContents<T, ACC, R> {
  if (merging && typeof aggregate.merge !== 'function') {
    throw new WeirError('WEIR_JOB_DEFINITION', 'aggregate on merging (session) windows needs AggregateFunction.merge');
  }
  const create = () => expectFolded(aggregate.createAccumulator(), 'createAccumulator function');
  const merge = (a: ACC, b: ACC) => expectFolded(aggregate.merge!(a, b), 'aggregate merge function');
  return {
    add: (contents, value) => expectFolded(aggregate.add(value, contents === undefined ? create() : contents), 'aggregate add function'),
    merge,
    elements: (contents) => [expectSync(aggregate.getResult(contents), 'getResult function')],
    mergeInto: typeof aggregate.merge === 'function' ? (contents, partial) => merge(contents === undefined ? create() : contents, partial) : undefined,
  };
}

/** Full window: every record, in arrival order (Flink's ListState). */
export function listContents<T>(): WindowContents<T, T[], T> {
  return {
    add: (contents, value) => {
      if (contents === undefined) return [value];
      contents.push(value);
      return contents;
    },
    merge: (a, b) => a.concat(b),
    elements: (contents) => contents,
    appends: true,
  };
}
