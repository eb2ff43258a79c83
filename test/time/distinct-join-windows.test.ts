// distinct per key and window, and coGroup/join functions that see their window, on real worker
// threads in both execution modes, against brute force over the same generated input.
import { describe, expect, it } from 'vitest';
import { run } from '../../src/runtime/index.ts';
import { generatedEvent, generatorPartitionCount, type GeneratorOptions } from '../../src/connectors/generator.ts';
import { jobUrl, tempDirsPerTest } from '../helpers.ts';
import * as job from '../jobs/distinct-join-windows.ts';

function input(opts: GeneratorOptions): job.Bucketed[] {
  const all: job.Bucketed[] = [];
  for (let p = 0; p < (opts.partitions ?? 1); p++) {
    for (let i = 0; i < generatorPartitionCount(opts, p); i++) {
      const e = generatedEvent(opts, p, i);
      all.push({ key: e.key, ts: e.ts, bucket: job.bucketOf(e) });
    }
  }
  return all;
}

const windowOf = (ts: number) => Math.floor(ts / job.windowMs);
const sorted = (xs: string[]) => [...xs].sort();

describe('distinct and windowed coGroup/join functions on worker threads', () => {
  const dir = tempDirsPerTest();

  for (const mode of ['continuous', 'micro-batch'] as const) {
    it(`${mode}: distinct per key and window; coGroup and join see their window = brute force`, async () => {
      const count = 6_000;
      const result = await (await run(jobUrl('distinct-join-windows'), { mode, parallelism: 2, workDir: dir(), params: { count: String(count) }, microBatchIntervalMs: 20 })).done;
      const left = input(job.leftOptions(count));
      const right = input(job.rightOptions(count));

      const distinct = [...new Set(left.map((e) => `${e.key}/${windowOf(e.ts)}/${e.bucket}`))];
      expect(distinct.length).toBeLessThan(left.length / 2); // there were duplicates to drop
      const byBucket = (result.results['distinct-by'] as job.Bucketed[]).map((e) => `${e.key}/${windowOf(e.ts)}/${e.bucket}`);
      expect(sorted(byBucket)).toEqual(sorted(distinct));
      const records = (result.results.distinct as Array<{ key: number; window: number; bucket: number }>).map((e) => `${e.key}/${e.window}/${e.bucket}`);
      expect(sorted(records)).toEqual(sorted(distinct));

      const groups = new Map<string, [number, number]>();
      for (const [side, records] of [[0, left], [1, right]] as const) {
        for (const e of records) {
          const start = windowOf(e.ts) * job.windowMs;
          const id = `${e.key}/${start}/${start + job.windowMs}`;
          const counts = groups.get(id) ?? [0, 0];
          counts[side]++;
          groups.set(id, counts);
        }
      }
      expect(sorted(result.results.cogroup as string[])).toEqual(sorted([...groups].map(([id, [l, r]]) => `${id}/${l}/${r}`)));

      const pairs: string[] = [];
      const rightByKeyWindow = new Map<string, job.Bucketed[]>();
      for (const r of right) {
        const id = `${r.key}/${windowOf(r.ts)}`;
        rightByKeyWindow.set(id, [...(rightByKeyWindow.get(id) ?? []), r]);
      }
      for (const l of left) {
        const start = windowOf(l.ts) * job.windowMs;
        for (const r of rightByKeyWindow.get(`${l.key}/${windowOf(l.ts)}`) ?? []) pairs.push(`${l.key}/${l.ts}/${r.ts}/${start}/${start + job.windowMs}`);
      }
      expect(pairs.length).toBeGreaterThan(1000);
      expect(sorted(result.results.join as string[])).toEqual(sorted(pairs));
    });
  }
});
