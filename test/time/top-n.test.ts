// The continuous top-N on real worker threads, in both execution modes and through a failure and
// recovery from a checkpoint: the upserts, applied in order, leave the brute-force ranking of the
// keys' final values; every upsert names a value the key really had.
import { describe, expect, it } from 'vitest';
import { run } from '../../src/runtime/index.ts';
import { generatedEvent, generatorPartitionCount } from '../../src/connectors/generator.ts';
import { readCommittedLines } from '../../src/connectors/index.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jobUrl, tempDirsPerTest, waitLimitMs } from '../helpers.ts';
import * as job from '../jobs/top-n.ts';

type Upsert = { rank: number; key: number; value: number };

function finalValues(count: number) {
  const opts = job.sourceOptions(count);
  const counts = new Map<number, number>();
  const maxes = new Map<number, number>();
  for (let p = 0; p < 2; p++) {
    for (let i = 0; i < generatorPartitionCount(opts, p); i++) {
      const e = generatedEvent(opts, p, i);
      counts.set(e.key, (counts.get(e.key) ?? 0) + 1);
      maxes.set(e.key, Math.max(maxes.get(e.key) ?? -1, Math.floor(e.value)));
    }
  }
  return { counts, maxes };
}

/** The n best keys: higher value first, equal values by the key's JSON text. */
function ranking(values: Map<number, number>, n: number, score = (v: number) => v): Upsert[] {
  return [...values]
    .sort(([ka, a], [kb, b]) => score(b) - score(a) || (JSON.stringify(ka) < JSON.stringify(kb) ? -1 : 1))
    .slice(0, n)
    .map(([key, value], i) => ({ rank: i + 1, key, value }));
}

function applied(upserts: Upsert[]): Upsert[] {
  const table = new Map<number, Upsert>();
  for (const u of upserts) table.set(u.rank, u);
  return [...table.values()].sort((a, b) => a.rank - b.rank);
}

type Outputs = { 'top-count': Upsert[]; 'top-max': Upsert[]; 'bottom-count': Upsert[] };

function check(upserts: Outputs, count: number): void {
  const { counts, maxes } = finalValues(count);
  expect(applied(upserts['top-count'])).toEqual(ranking(counts, job.topCount));
  expect(applied(upserts['top-max'])).toEqual(ranking(maxes, job.topMax));
  expect(applied(upserts['bottom-count'])).toEqual(ranking(counts, job.bottomCount, (n) => -n));
  // Keys left the lowest-count ranking as they grew: more keys were ever in it than it holds.
  expect(new Set(upserts['bottom-count'].map((u) => u.key)).size).toBeGreaterThan(job.bottomCount);
  // The ranking changed as the counts grew (far more upserts than ranks), each one a count the key had on the way.
  expect(upserts['top-count'].length).toBeGreaterThan(10 * job.topCount);
  for (const u of upserts['top-count']) expect(u.value).toBeLessThanOrEqual(counts.get(u.key)!);
  // Ties at the top: several keys reach the highest value; they rank by key text.
  expect([...maxes.values()].filter((m) => m === ranking(maxes, 1)[0].value).length).toBeGreaterThan(job.topMax);
}

describe('continuous topN on worker threads', () => {
  const dir = tempDirsPerTest();
  const count = 20_000;

  for (const mode of ['continuous', 'micro-batch'] as const) {
    it(`${mode}: the upserts by rank, applied in order, give the brute-force ranking`, async () => {
      const result = await (await run(jobUrl('top-n'), { mode, parallelism: 2, workDir: dir(), params: { count: String(count) }, microBatchIntervalMs: 20 })).done;
      check(result.results as unknown as Outputs, count);
    });
  }

  it('through a failure: recovers from a checkpoint; the exactly-once upserts give the brute-force ranking', async () => {
    const [out, markers] = [dir(), dir()];
    const handle = await run(jobUrl('top-n'), {
      parallelism: 2,
      workDir: dir(),
      params: { count: String(count), rate: '2000', markers, out },
      restartStrategy: { kind: 'fixed-delay', attempts: 1, delayMs: 100 },
    });
    // The failure comes once a checkpoint has completed, so that there is one to recover from.
    await expect.poll(() => handle.metrics().checkpoints?.completed ?? 0, { timeout: waitLimitMs, interval: 50 }).toBeGreaterThan(0);
    writeFileSync(join(markers, 'fail-now'), '');
    const result = await handle.done;
    expect(result.metrics.restarts).toHaveLength(1);
    expect(result.metrics.restarts![0].restoredFromId).toBeGreaterThan(0);
    const read = (prefix: string) => readCommittedLines(out, { prefix }).map((line) => JSON.parse(line) as Upsert);
    check({ 'top-count': read('top-count'), 'top-max': read('top-max'), 'bottom-count': read('bottom-count') }, count);
  });
});
