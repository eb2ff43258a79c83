// A rate-limited generator (1 record per ms on one partition) counted per key in processing-time
// tumbling windows of 100 ms. On the system clock which window a record lands in depends on
// scheduling; on a simulated clock (test/runtime/simulated-clock.test.ts) it is exact.
import { defineJob } from '../../src/api/index.ts';
import { TumblingProcessingTimeWindows } from '../../src/time/index.ts';
import { collect, generator } from '../../src/connectors/index.ts';

export const generated = { partitions: 1, count: 1_000, keys: 3, seed: 7, ratePerSec: 1_000 };

export default defineJob((env) => {
  env
    .source(generator(generated), { name: 'events' })
    .keyBy((e) => e.key)
    .window(TumblingProcessingTimeWindows.of(100))
    .process<{ key: number; startMs: number; count: number; firstSeq: number }>((key, window, events, out) => {
      out.collect({ key, startMs: window.start, count: events.length, firstSeq: Math.min(...events.map((e) => e.seq)) });
    })
    .sinkTo(collect('windows'));
}, { parallelism: 1, stateBackend: 'heap' });
