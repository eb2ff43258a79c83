/**
 * The parts of a parallel non-keyed window (Flink's windowAll, without its single-worker
 * bottleneck): records are pre-aggregated per shard on every worker (an ordinary keyed window
 * operator keyed by shard), and each shard's partial result of a window goes, through an exchange
 * to one key, to the final merge below, which combines the partials of a window once every shard
 * has sent its own — which is when the watermark passes the window's end.
 *
 * Why the watermark suffices: a shard's window fires when its watermark passes the window's
 * maxTimestamp, and emits its partial (with that timestamp) before it forwards the watermark. The
 * merge's watermark is the minimum over every sending worker, so when it passes maxTimestamp every
 * shard's partial has arrived (records and watermarks of one channel stay in order).
 *
 * With allowed lateness a shard fires again with its whole updated accumulator: the merge replaces
 * that shard's partial and fires the window again at once. Everything is keyed state of the one
 * merge key, so it is part of checkpoints like any window.
 */
import { WeirError } from '../errors.ts';
import type { AggregateFunction, KeyedContext, KeyedProcessFunction, OnTimerContext, ValueState } from '../functions/contracts.ts';
import { checkedUpdatesOf } from '../state/keyed-state.ts';
import type { Collector } from '../api/graph.ts';
import { expectFolded, expectSync } from '../functions/sync.ts';
import { EventTimeTrigger, type Trigger } from './triggers.ts';
import { TimeWindow, isMergingAssigner, type Window, type WindowAssigner } from './windows.ts';

/** A shard's partial result of one window, on its way to the final merge. */
export interface WindowPartial<ACC> {
  shard: number;
  start: number;
  end: number;
  acc: ACC;
}

/** What the final merge reads: partials, and records too late for the shards' windows (sent on to the late-data tag). */
export type MergeInput<ACC> = { partial: WindowPartial<ACC> } | { late: unknown };

/** A record on its way to a shard: the shard is fixed by the worker that sent it. */
export interface Sharded<T> {
  shard: number;
  value: T;
}

/** `(window, results, out) => …`: what a windowAll's result becomes (Flink's ProcessAllWindowFunction, the window and its results). */
export type AllWindowFn<IN, OUT, W extends Window> = (window: W, elements: IN[], out: Collector<OUT>) => void;

interface MergeSlot<ACC> {
  start: number;
  end: number;
  /** Each shard's latest partial, by shard. */
  partials: Record<string, ACC>;
  /** Fired at the window's end; later partials (allowed lateness) fire it again at once. */
  fired?: boolean;
  /** For latency measurement: the newest creation time among the partials' records, and when that partial arrived. */
  newestCreatedMs?: number;
  newestArrivedMs?: number;
}

export interface FinalMergeSpec<ACC, R, OUT, W extends Window> {
  aggregate: AggregateFunction<unknown, ACC, R>;
  windowOf(start: number, end: number): W;
  allowedLatenessMs: number;
  lateDataTag: string;
  windowFn: AllWindowFn<R, OUT, W> | undefined;
}

/** The merge of every shard's partial of a window, keyed by one constant key (one worker). */
export function finalWindowMerge<ACC, R, OUT, W extends Window>(spec: FinalMergeSpec<ACC, R, OUT, W>): KeyedProcessFunction<MergeInput<ACC>, number, OUT> {
  const { aggregate, allowedLatenessMs } = spec;
  const slotsOf = (ctx: KeyedContext<number, OUT>) => ctx.valueState<Record<string, MergeSlot<ACC>>>('window-partials');

  /**
   * Stores the open windows, having checked only what this call added (`added`, at `path`): the
   * rest was checked when it came. Walking every open window's partials at each partial cost
   * O(open windows × accumulator) per partial: a topK(200) over 1 s windows sliding by 100 ms
   * spent 87 % of its worker in the check.
   */
  const store = (state: ValueState<Record<string, MergeSlot<ACC>>>, slots: Record<string, MergeSlot<ACC>>, added?: { value: unknown; path: string }): void => {
    const checked = checkedUpdatesOf(state);
    if (checked === undefined) return state.update(slots);
    if (added !== undefined) checked.check(added.value, added.path);
    checked.update(slots);
  };

  const fire = (slot: MergeSlot<ACC>, ctx: KeyedContext<number, OUT>): void => {
    const shards = Object.keys(slot.partials);
    if (shards.length === 0) return;
    // Merged into a new accumulator: a merge function may change its first argument, and the
    // partials stay as they came (a shard's late firing replaces its own and the window fires again).
    let merged = expectFolded(aggregate.createAccumulator(), 'createAccumulator function');
    for (const shard of shards) merged = expectFolded(aggregate.merge!(merged, slot.partials[shard]), 'aggregate merge function');
    const result = expectSync(aggregate.getResult(merged), 'getResult function');
    const window = spec.windowOf(slot.start, slot.end);
    const emitAtMs = window.maxTimestamp();
    // Measured from the newest record of the window, as a keyed window's result is.
    const createdMs = slot.newestCreatedMs ?? Number.NaN;
    const arrivedMs = slot.newestArrivedMs ?? Number.NaN;
    const out: Collector<OUT> = { collect: (value) => ctx.emit(value, emitAtMs, createdMs, arrivedMs) };
    if (spec.windowFn === undefined) out.collect(result as unknown as OUT);
    else expectSync(spec.windowFn(window, [result], out), 'window function');
  };

  return {
    processElement(input, ctx) {
      if ('late' in input) {
        ctx.output(spec.lateDataTag, input.late);
        return;
      }
      const { shard, start, end, acc } = input.partial;
      const state = slotsOf(ctx);
      const slots = state.value() ?? {};
      const id = `${start}/${end}`;
      let slot = slots[id];
      if (slot === undefined) {
        slot = slots[id] = { start, end, partials: {} };
        ctx.timerService.registerEventTimeTimer(end - 1);
      }
      slot.partials[String(shard)] = acc;
      // False for NaN (no creation time).
      if (ctx.createdMs > (slot.newestCreatedMs ?? Number.NEGATIVE_INFINITY)) {
        slot.newestCreatedMs = ctx.createdMs;
        slot.newestArrivedMs = ctx.timerService.currentProcessingTime();
      }
      // A late firing of a shard (allowed lateness): the window's result changes now.
      if (slot.fired) fire(slot, ctx);
      store(state, slots, { value: acc, path: `.${id}.partials.${shard}` });
    },

    onTimer(timeMs, ctx: OnTimerContext<number, OUT>) {
      const state = slotsOf(ctx);
      const slots = state.value();
      if (slots === undefined) return;
      for (const id of Object.keys(slots)) {
        const slot = slots[id];
        const endOfWindowMs = slot.end - 1;
        if (!slot.fired && timeMs >= endOfWindowMs) {
          fire(slot, ctx);
          slot.fired = true;
          if (allowedLatenessMs > 0) ctx.timerService.registerEventTimeTimer(endOfWindowMs + allowedLatenessMs);
        }
        // Past the allowed lateness no shard fires the window again: drop it.
        if (slot.fired && timeMs >= endOfWindowMs + allowedLatenessMs) delete slots[id];
      }
      if (Object.keys(slots).length === 0) state.clear();
      else store(state, slots);
    },
  };
}

/** What the shards may be given: event-time windows that do not merge (parallel pre-aggregation needs fixed bounds and the watermark). */
export function checkAllWindowsAssigner<T, W extends Window>(assigner: WindowAssigner<T, W>): void {
  if (!assigner.isEventTime) {
    throw new WeirError('WEIR_JOB_DEFINITION', `windowAll(${assigner.description}): non-keyed windows are pre-aggregated in parallel and merged when the watermark passes their end, so they need event-time windows (use keyBy(…).window(…) for processing time)`);
  }
  if (isMergingAssigner(assigner)) {
    throw new WeirError('WEIR_JOB_DEFINITION', `windowAll(${assigner.description}): merging (session) windows cannot be merged from independent shards; key the stream and use keyBy(…).window(…)`);
  }
}

/**
 * Assigns a record to the window whose bounds it carries (`{ start, end }`): a result of one
 * window operator handed to the next stage keeps its window, whatever the assigner that made it
 * (a sliding window's result would otherwise fall into several windows again).
 */
export class CarriedWindows<T extends { start: number; end: number }> implements WindowAssigner<T, TimeWindow> {
  readonly isEventTime = true;
  readonly description: string;

  constructor(of: string) {
    this.description = of;
  }

  assignWindows(element: T): TimeWindow[] {
    return [new TimeWindow(element.start, element.end)];
  }

  defaultTrigger(): Trigger<T, TimeWindow> {
    return EventTimeTrigger.create<T>();
  }

  windowOf(start: number, end: number): TimeWindow {
    return new TimeWindow(start, end);
  }
}
