// The continuous top-N on real worker threads: generator events keyed by key, ranked by their
// running count (top 5) and by their running maximum value (top 3, where most keys tie at the
// highest value), and by the fewest records (the 4 keys with the lowest counts: keys of that
// ranking fall out of it as their counts grow). test/time/top-n.test.ts applies the upserts in order and compares the table
// with brute force. With param `out` the upserts go to exactly-once transactional file sinks
// there (prefixes 'top-count', 'top-max', 'bottom-count') and the job checkpoints; with `markers`
// it fails once after the test creates the file fail-now there.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineJob } from '../../src/api/index.ts';
import { collect, generator, transactionalFileSink, type GeneratorOptions } from '../../src/connectors/index.ts';
import type { SinkSpec } from '../../src/connectors/types.ts';
import { failsFirstTime } from './fails-first-time.ts';

export const sourceOptions = (count: number, ratePerSec = 0): GeneratorOptions => ({ partitions: 2, count, keys: 400, keySkew: 0.8, seed: 44, ratePerSec });
export const topCount = 5;
export const topMax = 3;
export const bottomCount = 4;

export default defineJob(
  (env) => {
    const markers = env.params.markers;
    // Fails once, at the first record (of every 100th) after the test created markers/fail-now.
    const failNow = (seq: number) => markers !== undefined && seq % 100 === 0 && existsSync(join(markers, 'fail-now')) && failsFirstTime(join(markers, 'failed'));
    const out = env.params.out;
    const sink = <T>(name: string): SinkSpec<T> => (out === undefined ? collect<T>(name) : transactionalFileSink<T>({ dir: out, prefix: name, name }));
    const byKey = env
      .source(generator(sourceOptions(env.numberParam('count', 20_000), env.numberParam('rate', 0))), { name: 'events' })
      .map((e) => {
        if (failNow(e.seq)) throw new Error(`injected failure at ${e.seq}`);
        return { key: e.key, value: Math.floor(e.value) };
      }, { name: 'project' })
      .keyBy((e) => e.key, { name: 'by-key' });

    byKey
      .topN(topCount, (n: number) => n, {
        name: 'top-count',
        aggregate: { createAccumulator: () => 0, add: (_e, n: number) => n + 1, getResult: (n) => n },
      })
      .sinkTo(sink('top-count'));

    byKey
      .topN(topMax, (max: number) => max, {
        name: 'top-max',
        aggregate: { createAccumulator: () => -1, add: (e, max: number) => Math.max(max, e.value), getResult: (max) => max },
      })
      .sinkTo(sink('top-max'));

    byKey
      .topN(bottomCount, (n: number) => -n, {
        name: 'bottom-count',
        aggregate: { createAccumulator: () => 0, add: (_e, n: number) => n + 1, getResult: (n) => n },
      })
      .sinkTo(sink('bottom-count'));
  },
  { name: 'top-n', checkpointIntervalMs: 100 },
);
