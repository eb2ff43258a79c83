import { describe, expect, it } from 'vitest';
import { run } from '../../src/runtime/index.ts';
import { generator } from '../../src/connectors/index.ts';
import { jobUrl, readAll } from '../helpers.ts';

type KV = { key: number; value: number };

/** The same computation as test/jobs/pipeline.ts, done by hand over the same generated input. */
async function expected(count: number, partitions: number) {
  const input = await readAll(generator({ partitions, count, keys: 50, seed: 7 }));
  const raw: KV[] = [];
  for (const { value: e } of input) {
    const r = { key: e.key, value: Math.floor(e.value) };
    if (r.value % 3 === 0) continue;
    raw.push(r);
    if (r.value % 2 === 0) raw.push({ key: r.key, value: 1 });
  }
  const totals = new Map<number, number>();
  for (const r of raw) totals.set(r.key, (totals.get(r.key) ?? 0) + r.value);
  return { raw, totals };
}

const sortKV = (a: KV, b: KV) => a.key - b.key || a.value - b.value;

/** Final value per key of a rolling reduce: the largest running sum (values are positive). */
function finalSums(sums: KV[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const s of sums) m.set(s.key, Math.max(m.get(s.key) ?? 0, s.value));
  return m;
}

describe('a keyed pipeline on real worker threads', () => {
  for (const mode of ['continuous', 'micro-batch'] as const) {
    for (const parallelism of [1, 2]) {
      it(`${mode}, ${parallelism} worker(s): matches a brute-force computation`, async () => {
        const count = 20_000;
        const handle = await run(jobUrl('pipeline'), { mode, parallelism, params: { count: String(count), partitions: '2' }, microBatchIntervalMs: 20 });
        const result = await handle.done;
        const want = await expected(count, 2);
        const raw = result.results.raw as KV[];
        const sums = result.results.sums as KV[];
        expect([...raw].sort(sortKV)).toEqual([...want.raw].sort(sortKV));
        // A rolling reduce emits once per input record, and ends at the per-key total.
        expect(sums.length).toBe(want.raw.length);
        expect(finalSums(sums)).toEqual(want.totals);
        // Counters reconcile through the chain.
        const op = (name: string) => result.metrics.operators.find((o) => o.name === name)!;
        expect(op('events').recordsOut).toBe(count);
        expect(op('project').recordsIn).toBe(count);
        expect(op('sum').recordsIn).toBe(want.raw.length);
        expect(op('raw').recordsIn).toBe(want.raw.length);
        if (mode === 'micro-batch') expect(result.metrics.epochsCompleted).toBeGreaterThan(0);
      });
    }
  }

  it('gives the same result in both modes', async () => {
    const outputs = [];
    for (const mode of ['continuous', 'micro-batch'] as const) {
      const result = await (await run(jobUrl('pipeline'), { mode, parallelism: 2, params: { count: '5000' } })).done;
      outputs.push({ raw: [...(result.results.raw as KV[])].sort(sortKV), totals: finalSums(result.results.sums as KV[]) });
    }
    expect(outputs[0]).toEqual(outputs[1]);
  });

  it('unions two sources with different partition counts', async () => {
    const result = await (await run(jobUrl('two-sources'), { parallelism: 2 })).done;
    const totals = new Map<number, number>();
    for (const t of result.results.totals as Array<{ k: number; n: number }>) totals.set(t.k, Math.max(totals.get(t.k) ?? 0, t.n));
    const a = await readAll(generator({ partitions: 2, count: 3000, keys: 20, seed: 11 }));
    const b = await readAll(generator({ partitions: 1, count: 1000, keys: 20, seed: 12 }));
    const want = new Map<number, number>();
    for (const { value } of a) want.set(value.key, (want.get(value.key) ?? 0) + 1);
    for (const { value } of b) want.set(value.key, (want.get(value.key) ?? 0) + 10);
    expect(totals).toEqual(want);
  });
});

describe('keyBy routing', () => {
  it('sends every key to exactly one worker, the same one in every run', async () => {
    const owners = async () => {
      const result = await (await run(jobUrl('routing'), { parallelism: 2 })).done;
      const owner = new Map<string, Set<number>>();
      for (const { key, subtask } of result.results.seen as Array<{ key: string; subtask: number }>) {
        if (!owner.has(key)) owner.set(key, new Set());
        owner.get(key)!.add(subtask);
      }
      return owner;
    };
    const first = await owners();
    const second = await owners();
    expect(first.size).toBeGreaterThan(100);
    for (const [key, workers] of first) {
      expect(workers.size, `key ${key} seen by workers ${[...workers]}`).toBe(1);
      expect(second.get(key)).toEqual(workers);
    }
    // Both workers own keys.
    expect(new Set([...first.values()].map((s) => [...s][0])).size).toBe(2);
  });
});
