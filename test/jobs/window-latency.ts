// A rate-limited stream counted per key in tumbling event-time windows: every record reaching the
// sink is a window result, emitted from a timer (test/harness/window-latency.test.ts).
import { defineJob, WatermarkStrategy } from '../../src/api/index.ts';
import { collect, generator, type GeneratedEvent } from '../../src/connectors/index.ts';
import { TumblingEventTimeWindows } from '../../src/time/index.ts';

export const windowMs = 100;

export default defineJob((env) => {
  const rate = env.numberParam('rate', 2_000);
  // Two partitions at rate/2 each, one event-time ms per record: event time keeps pace with the clock.
  env
    .source(generator({ partitions: 2, ratePerSec: rate, count: Math.round(rate * env.numberParam('seconds', 1.5)), keys: 5, seed: 5, eventTimeStepMs: 2_000 / rate }), {
      name: 'events',
      watermarks: WatermarkStrategy.boundedOutOfOrderness<GeneratedEvent>(10).withTimestampAssigner((e) => e.ts),
    })
    .keyBy((e) => e.key, { name: 'by-key' })
    .window(TumblingEventTimeWindows.of(windowMs))
    .aggregate({ createAccumulator: () => 0, add: (_e: GeneratedEvent, n: number) => n + 1, getResult: (n: number) => n }, undefined, { name: 'count' })
    .sinkTo(collect('counts'));
});
