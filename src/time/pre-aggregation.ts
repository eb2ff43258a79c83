/**
 * Pre-aggregation of windowed aggregates (Spark's partial aggregation, Flink SQL's local-global
 * aggregation): the sending side of the keyBy folds the records of one key and one pane into a
 * partial aggregate, and only the partials cross the exchange; the window operator merges them
 * into its windows. With a hot key, one partial per pane replaces thousands of records on the
 * exchange, in the window operator, its state and its timers.
 *
 * What a window operator offers for it, decided when the job is defined (windowed-stream.ts):
 * event-time windows made of fixed panes (tumbling, sliding), the assigner's own trigger (a
 * trigger that counts or inspects records would see partials) and contents that merge (reduce, or
 * an aggregate with `merge`). The sending side (runtime/worker/pre-aggregator.ts) keeps the
 * results identical to sending every record; it states how.
 */
import type { KeyedContext } from '../functions/contracts.ts';
import type { WindowContents } from './window-functions.ts';
import { windowStartWithOffset, type Panes, type Window, type WindowAssigner } from './windows.ts';

export interface PreAggregation {
  /** The start of the pane `timestampMs` falls in: records of one pane share all their windows. */
  paneOf(timestampMs: number): number;
  /** The earliest last instant (maxTimestamp) of the windows that hold the pane starting at `paneStartMs`: when the first of them can fire. */
  firstFiringMs(paneStartMs: number): number;
  /** Folds a record into a partial aggregate (undefined: none yet). */
  add(partial: unknown, value: unknown): unknown;
}

/** The receiving side: a keyed function that merges partials (the window operator). */
export interface MergesPartials<K, OUT> {
  /** `accumulator` folds `records` records of the current key, all of one pane, whose newest event time is ctx.timestampMs. */
  processPartial(accumulator: unknown, records: number, ctx: KeyedContext<K, OUT>): void;
}

/** The pre-aggregation a window operator allows, or undefined (see the file comment for when). */
export function preAggregationOf<T, W extends Window, C>(assigner: WindowAssigner<T, W>, contents: WindowContents<T, C, unknown>, triggerReplaced: boolean): PreAggregation | undefined {
  const panes: Panes | undefined = assigner.panes;
  if (!assigner.isEventTime || panes === undefined || triggerReplaced || contents.mergeInto === undefined) return undefined;
  const assignerContext = { currentProcessingTime: () => Number.NaN };
  return {
    paneOf: (timestampMs) => windowStartWithOffset(timestampMs, panes.offsetMs, panes.sizeMs),
    firstFiringMs(paneStartMs) {
      let first = Number.POSITIVE_INFINITY;
      for (const window of assigner.assignWindows(undefined as T, paneStartMs, assignerContext)) first = Math.min(first, window.maxTimestamp());
      return first;
    },
    add: (partial, value) => contents.add(partial as C | undefined, value as T),
  };
}
