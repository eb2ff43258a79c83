// Two partitions whose event times advance at very different rates per record: partition 0's
// timestamps are 1 ms apart, partition 1's 20 ms apart, so read at the same record rate
// partition 1 runs ahead in event time. Counts per key per 1 s tumbling event-time window.
// `--param maxDriftMs=N` aligns the partitions' watermarks within N ms; 0 turns alignment off.
// `--param silentAfter=N`: partition 1 has only its first N records and then stays open and silent
// (with idleness 200 ms), partition 0 is bounded.
import { defineJob, WatermarkStrategy } from '../../src/api/index.ts';
import { collect } from '../../src/connectors/index.ts';
import { TumblingEventTimeWindows } from '../../src/time/index.ts';
import { listSource } from './list-source.ts';

export interface Event {
  key: string;
  ts: number;
}

export const stepMs = [1, 20];
export const windowMs = 1_000;

export function partitionEvents(count: number): Event[][] {
  return stepMs.map((step, p) => Array.from({ length: count }, (_, i) => ({ key: `k${(i + p) % 4}`, ts: i * step })));
}

export default defineJob((env) => {
  const count = env.numberParam('count', 50_000);
  const maxDriftMs = env.numberParam('maxDriftMs', 0);
  const silentAfter = env.numberParam('silentAfter', 0);
  let strategy = WatermarkStrategy.boundedOutOfOrderness<Event>(0).withTimestampAssigner((e) => e.ts);
  strategy = maxDriftMs > 0 ? strategy.withWatermarkAlignment('skewed', maxDriftMs) : strategy.withoutWatermarkAlignment();
  const partitions = partitionEvents(count);
  if (silentAfter > 0) {
    partitions[1] = partitions[1].slice(0, silentAfter);
    strategy = strategy.withIdleness(200);
  }
  env
    .source(listSource(partitions, { bounded: silentAfter === 0 }), { name: 'events', watermarks: strategy })
    .keyBy((e) => e.key)
    .window(TumblingEventTimeWindows.of(windowMs))
    .aggregate(
      { createAccumulator: () => 0, add: (_e: Event, n: number) => n + 1, getResult: (n: number) => n, merge: (a: number, b: number) => a + b },
      (key: string, window, [count]: number[], out) => out.collect({ key, start: window.start, count }),
      { name: 'count-per-second' },
    )
    .sinkTo(collect('counts'));
});
