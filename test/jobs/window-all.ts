// Non-keyed windows and top-K per window on real worker threads: out-of-order generated events
// (bounded-out-of-orderness watermarks whose bound equals the generator's disorder, so no record is
// ever late) in windowAll aggregate, reduce and topK, and a keyed sliding-window topK of keys by
// count. test/time/window-all.test.ts checks every result against brute force.
// With param `out` the results go to exactly-once transactional file sinks there (one prefix per
// result) and the job checkpoints; with `markers` it fails once after the test creates the file
// fail-now there.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineJob, WatermarkStrategy } from '../../src/api/index.ts';
import { collect, generator, transactionalFileSink, type GeneratedEvent, type GeneratorOptions } from '../../src/connectors/index.ts';
import { SlidingEventTimeWindows, TumblingEventTimeWindows } from '../../src/time/index.ts';
import type { SinkSpec } from '../../src/connectors/types.ts';
import { failsFirstTime } from './fails-first-time.ts';
import { stats, type Timed } from './window-aggregates.ts';

export const sourceOptions = (count: number, ratePerSec = 0): GeneratorOptions => ({
  partitions: 2,
  count,
  keys: 30,
  seed: 33,
  ratePerSec,
  eventTimeStartMs: 1_700_000_000_000,
  eventTimeStepMs: 10,
  outOfOrderFraction: 0.2,
  outOfOrderMaxMs: 300,
});
export const tumblingMs = 1_000;
export const sliding = { sizeMs: 2_000, slideMs: 500 };
export const topRecords = 5;
export const topKeys = 3;

const counting = {
  createAccumulator: () => 0,
  add: (_v: Timed, n: number) => n + 1,
  getResult: (n: number) => n,
  merge: (a: number, b: number) => a + b,
};

export default defineJob(
  (env) => {
    const count = env.numberParam('count', 20_000);
    const markers = env.params.markers;
    // Fails once, at the first record (of every 100th) after the test created markers/fail-now.
    const failNow = (seq: number) => markers !== undefined && seq % 100 === 0 && existsSync(join(markers, 'fail-now')) && failsFirstTime(join(markers, 'failed'));
    const out = env.params.out;
    const sink = <T>(name: string): SinkSpec<T> => (out === undefined ? collect<T>(name) : transactionalFileSink<T>({ dir: out, prefix: name, name }));
    const events = env
      .source(generator(sourceOptions(count, env.numberParam('rate', 0))), {
        name: 'events',
        watermarks: WatermarkStrategy.boundedOutOfOrderness<GeneratedEvent>(300).withTimestampAssigner((e) => e.ts),
      })
      .map((e): Timed => {
        if (failNow(e.seq)) throw new Error(`injected failure at ${e.seq}`);
        return { key: e.key, ts: e.ts, value: Math.floor(e.value) };
      }, { name: 'project' });

    const tumbling = events
      .windowAll(TumblingEventTimeWindows.of(tumblingMs))
      .aggregate(stats, (window, [s], o) => o.collect({ start: window.start, end: window.end, count: s.count, max: s.max, sum: s.sum }), { name: 'all-tumbling' });
    tumbling.sinkTo(sink('all-tumbling'));
    tumbling.sideOutput('late-records').sinkTo(sink('late'));

    events
      .windowAll(SlidingEventTimeWindows.of(sliding.sizeMs, sliding.slideMs))
      .reduce((a, b) => (a.value >= b.value ? a : b), (window, [max], o) => o.collect({ start: window.start, end: window.end, max: max.value }), { name: 'all-sliding-max' })
      .sinkTo(sink('all-sliding-max'));

    events.windowAll(TumblingEventTimeWindows.of(tumblingMs)).topK(topRecords, (e) => e.value, { name: 'all-topk' }).sinkTo(sink('all-topk'));

    events
      .keyBy((e) => e.key, { name: 'by-key' })
      .window(SlidingEventTimeWindows.of(sliding.sizeMs, sliding.slideMs))
      .topK(topKeys, counting, undefined, { name: 'keyed-topk' })
      .sinkTo(sink('keyed-topk'));
  },
  { name: 'window-all', checkpointIntervalMs: 100 },
);
