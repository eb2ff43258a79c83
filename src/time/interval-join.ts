/**
 * The interval join (Flink's IntervalJoinOperator) as a keyed process function over the tagged
 * union of both sides: a pair (a, b) of one key joins when b.ts ∈ [a.ts + lower, a.ts + upper]
 * (equivalently a.ts ∈ [b.ts − upper, b.ts − lower]).
 *
 * Each side's records are buffered in keyed state by timestamp ('first-buffer', 'second-buffer':
 * mapState timestamp → values). A new record joins with every buffered record of the other side
 * in its range, then is buffered itself until the watermark makes it unmatchable:
 *
 *   a first-side record at t can still meet second-side records up to t + upper, so it may go
 *   once the watermark reaches t + upper (t when upper ≤ 0);
 *   a second-side record at t can still meet first-side records up to t − lower, so it may go
 *   once the watermark reaches t − lower (t when lower ≥ 0).
 *
 * Each buffered timestamp gets an event-time timer at that cleanup time. Timers carry only a
 * timestamp, but the mapping timestamp → cleanup time is one-to-one per side, so a timer at T
 * removes exactly the first-side bucket and the second-side bucket whose cleanup time is T —
 * whichever side registered it.
 *
 * Records behind the watermark (t < watermark) are late: the other side's matching records may
 * already be gone, so they are sent to the late side output rather than joined partially.
 */
import type { KeyedContext, KeyedProcessFunction, MapState, OnTimerContext, Tagged } from '../functions/contracts.ts';
import { LATE_RECORDS_TAG } from './window-operator.ts';
import { expectSync } from '../functions/sync.ts';

export interface IntervalJoinContext<K, OUT> {
  readonly key: K;
  readonly leftTimestampMs: number;
  readonly rightTimestampMs: number;
  /** The pair's time: the later of the two; results carry it as event time. */
  readonly timestampMs: number;
  emit(value: OUT): void;
  output<X>(tag: string, value: X): void;
}

export type IntervalJoinFn<A, B, K, OUT> = (left: A, right: B, ctx: IntervalJoinContext<K, OUT>) => void;

export interface IntervalJoinSpec<A, B, K, OUT> {
  /** Inclusive bounds, ms: b.ts − a.ts ∈ [lowerMs, upperMs]. */
  lowerMs: number;
  upperMs: number;
  fn: IntervalJoinFn<A, B, K, OUT>;
  lateFirstTag?: string;
  lateSecondTag?: string;
}

export const firstBufferState = 'first-buffer';
export const secondBufferState = 'second-buffer';

export function intervalJoinOperator<A, B, K, OUT>(spec: IntervalJoinSpec<A, B, K, OUT>): KeyedProcessFunction<Tagged<A, B>, K, OUT> {
  const { lowerMs, upperMs, fn } = spec;
  const lateFirstTag = spec.lateFirstTag ?? LATE_RECORDS_TAG;
  const lateSecondTag = spec.lateSecondTag ?? LATE_RECORDS_TAG;
  const firstCleanupMs = (t: number) => (upperMs > 0 ? t + upperMs : t);
  const secondCleanupMs = (t: number) => (lowerMs < 0 ? t - lowerMs : t);
  const firstBucketAt = (cleanupMs: number) => (upperMs > 0 ? cleanupMs - upperMs : cleanupMs);
  const secondBucketAt = (cleanupMs: number) => (lowerMs < 0 ? cleanupMs + lowerMs : cleanupMs);

  let keyed: KeyedContext<K, OUT>;
  const pair = {
    key: undefined as K,
    leftTimestampMs: 0,
    rightTimestampMs: 0,
    timestampMs: 0,
    emit: (value: OUT) => keyed.emit(value, pair.timestampMs),
    output: <X>(tag: string, value: X) => keyed.output(tag, value),
  };
  const joinPair = (a: A, b: B, aTs: number, bTs: number) => {
    pair.key = keyed.key;
    pair.leftTimestampMs = aTs;
    pair.rightTimestampMs = bTs;
    pair.timestampMs = Math.max(aTs, bTs);
    expectSync(fn(a, b, pair), 'interval join function');
  };

  return {
    processElement(record, ctx) {
      keyed = ctx;
      const ts = ctx.timestampMs;
      if (!Number.isFinite(ts)) throw new Error(`interval join: a record has no event timestamp (${ts}); give its source timestamps`);
      const watermarkMs = ctx.timerService.currentWatermark();
      if (ts < watermarkMs) {
        ctx.output(record.side === 0 ? lateFirstTag : lateSecondTag, record.value);
        return;
      }
      const firstBuffer = ctx.mapState<number, A[]>(firstBufferState);
      const secondBuffer = ctx.mapState<number, B[]>(secondBufferState);
      if (record.side === 0) {
        // Second-side partners: b.ts ∈ [ts + lower, ts + upper].
        for (const [bTs, bs] of secondBuffer.entries()) {
          if (bTs < ts + lowerMs || bTs > ts + upperMs) continue;
          for (const b of bs) joinPair(record.value, b, ts, bTs);
        }
        addToBucket(firstBuffer, ts, record.value);
        ctx.timerService.registerEventTimeTimer(firstCleanupMs(ts));
      } else {
        // First-side partners: a.ts ∈ [ts − upper, ts − lower].
        for (const [aTs, as] of firstBuffer.entries()) {
          if (aTs < ts - upperMs || aTs > ts - lowerMs) continue;
          for (const a of as) joinPair(a, record.value, aTs, ts);
        }
        addToBucket(secondBuffer, ts, record.value);
        ctx.timerService.registerEventTimeTimer(secondCleanupMs(ts));
      }
    },

    onTimer(timeMs: number, ctx: OnTimerContext<K, OUT>) {
      if (ctx.timeDomain !== 'event-time') return;
      ctx.mapState<number, A[]>(firstBufferState).remove(firstBucketAt(timeMs));
      ctx.mapState<number, B[]>(secondBufferState).remove(secondBucketAt(timeMs));
    },
  };
}

function addToBucket<V>(buffer: MapState<number, V[]>, ts: number, value: V): void {
  const bucket = buffer.get(ts);
  if (bucket === undefined) buffer.put(ts, [value]);
  else {
    bucket.push(value);
    buffer.put(ts, bucket);
  }
}
