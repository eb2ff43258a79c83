// Event time through the runtime: out-of-order generated events with bounded-out-of-orderness
// watermarks, keyed by key, counted per 1 s event-time bucket in map state; an event-time timer
// at each bucket's end emits the bucket's count and clears it. Also uses list, reducing and
// aggregating state, and a side output for every 100th record.
import { defineJob, WatermarkStrategy, type KeyedProcessFunction } from '../../src/api/index.ts';
import { collect, generator, type GeneratedEvent } from '../../src/connectors/index.ts';

export const bucketMs = 1_000;
export const sourceOptions = (count: number) => ({
  partitions: 2,
  count,
  keys: 20,
  seed: 11,
  eventTimeStartMs: 1_700_000_000_000,
  eventTimeStepMs: 10,
  outOfOrderFraction: 0.2,
  outOfOrderMaxMs: 300,
});

export type Output =
  | { kind: 'bucket'; key: number; bucketStartMs: number; count: number }
  /** At the end of input (watermark +∞): the key's totals from reducing, aggregating and list state. */
  | { kind: 'total'; key: number; sum: number; mean: number; buckets: number };

const meanOf = {
  createAccumulator: () => ({ n: 0, total: 0 }),
  add: (v: number, acc: { n: number; total: number }) => ({ n: acc.n + 1, total: acc.total + v }),
  getResult: (acc: { n: number; total: number }) => acc.total / acc.n,
};

const countPerBucket: KeyedProcessFunction<GeneratedEvent, number, Output> = {
  processElement(e, ctx) {
    const bucketStartMs = Math.floor(ctx.timestampMs / bucketMs) * bucketMs;
    const counts = ctx.mapState<number, number>('counts');
    counts.put(bucketStartMs, (counts.get(bucketStartMs) ?? 0) + 1);
    ctx.reducingState<number>('sum', (a, b) => a + b).add(Math.floor(e.value));
    ctx.aggregatingState('mean', meanOf).add(Math.floor(e.value));
    ctx.timerService.registerEventTimeTimer(bucketStartMs + bucketMs - 1);
    ctx.timerService.registerEventTimeTimer(Number.POSITIVE_INFINITY);
    if (e.seq % 100 === 0) ctx.output('hundredths', { key: e.key, seq: e.seq });
  },
  onTimer(timestampMs, ctx) {
    const fired = ctx.listState<number>('fired');
    if (timestampMs === Number.POSITIVE_INFINITY) {
      const sum = ctx.reducingState<number>('sum', (a, b) => a + b).get()!;
      ctx.emit({ kind: 'total', key: ctx.key, sum, mean: ctx.aggregatingState('mean', meanOf).get()!, buckets: fired.get().length });
      return;
    }
    const bucketStartMs = timestampMs + 1 - bucketMs;
    const counts = ctx.mapState<number, number>('counts');
    ctx.emit({ kind: 'bucket', key: ctx.key, bucketStartMs, count: counts.get(bucketStartMs)! });
    fired.add(bucketStartMs);
    counts.remove(bucketStartMs);
  },
};

export default defineJob((env) => {
  const count = env.numberParam('count', 20_000);
  const bound = env.numberParam('bound', 300);
  const buckets = env
    .source(generator(sourceOptions(count)), {
      name: 'events',
      watermarks: WatermarkStrategy.boundedOutOfOrderness<GeneratedEvent>(bound).withTimestampAssigner((e) => e.ts),
    })
    .keyBy((e) => e.key, { name: 'by-key' })
    .process(countPerBucket, { name: 'count-per-bucket' });
  buckets.sinkTo(collect('buckets'));
  buckets.sideOutput<{ key: number; seq: number }>('hundredths').sinkTo(collect('hundredths'));
});
