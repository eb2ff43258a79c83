import { describe, expect, it } from 'vitest';
import { Ewma, RunningStats } from '../../src/api/index.ts';
import { generator } from '../../src/connectors/index.ts';
import { run } from '../../src/runtime/index.ts';
import { jobUrl, readAll, tempDirsPerTest } from '../helpers.ts';
import type { KeyStats } from '../jobs/running-stats.ts';

const newDir = tempDirsPerTest('weir-running-stats-');

/** A deterministic spread of values (a linear congruential sequence), some far from the rest. */
function values(n: number, seed: number): number[] {
  let x = seed;
  return Array.from({ length: n }, (_, i) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return (x / 2147483648) * 100 + (i % 17 === 0 ? 1e6 : 0);
  });
}

function bruteForce(xs: number[]) {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const m2 = xs.reduce((a, x) => a + (x - mean) ** 2, 0);
  return { n, mean, variance: m2 / n, sampleVariance: m2 / (n - 1), min: Math.min(...xs), max: Math.max(...xs) };
}

function ewmaBruteForce(xs: number[], alpha: number): { mean: number; variance: number } {
  let mean = xs[0];
  let variance = 0;
  for (const x of xs.slice(1)) {
    const diff = x - mean;
    mean = mean + alpha * diff;
    variance = (1 - alpha) * (variance + alpha * diff * diff);
  }
  return { mean, variance };
}

describe('RunningStats', () => {
  it('count, mean, variance, min and max equal the two-pass computation', () => {
    const xs = values(1000, 7);
    const s = xs.reduce(RunningStats.add, RunningStats.empty());
    const b = bruteForce(xs);
    expect(s.count).toBe(b.n);
    expect(s.mean).toBeCloseTo(b.mean, 6);
    expect(RunningStats.variance(s) / b.variance).toBeCloseTo(1, 10);
    expect(RunningStats.sampleVariance(s) / b.sampleVariance).toBeCloseTo(1, 10);
    expect(RunningStats.stdDev(s)).toBeCloseTo(Math.sqrt(b.sampleVariance), 6);
    expect([s.min, s.max]).toEqual([b.min, b.max]);
  });

  it('merge of two parts equals adding every value to one', () => {
    const xs = values(500, 3);
    for (const cut of [0, 1, 250, 499, 500]) {
      const left = xs.slice(0, cut).reduce(RunningStats.add, RunningStats.empty());
      const right = xs.slice(cut).reduce(RunningStats.add, RunningStats.empty());
      const merged = RunningStats.merge(left, right);
      const whole = xs.reduce(RunningStats.add, RunningStats.empty());
      expect(merged.count).toBe(whole.count);
      expect(merged.mean).toBeCloseTo(whole.mean, 6);
      expect(merged.m2 / whole.m2).toBeCloseTo(1, 10);
      expect([merged.min, merged.max]).toEqual([whole.min, whole.max]);
    }
  });

  it('is stable where the sum-of-squares formula is not (large offset, small spread)', () => {
    const xs = [1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16];
    const s = xs.reduce(RunningStats.add, RunningStats.empty());
    expect(RunningStats.sampleVariance(s)).toBeCloseTo(30, 9);
  });

  it('zScore, and what it says with too few values', () => {
    const s = [2, 4, 4, 4, 5, 5, 7, 9].reduce(RunningStats.add, RunningStats.empty());
    expect(RunningStats.zScore(s, 5 + RunningStats.stdDev(s) * 2)).toBeCloseTo(2, 12);
    expect(RunningStats.zScore(RunningStats.add(RunningStats.empty(), 1), 3)).toBeNaN();
    const flat = [3, 3].reduce(RunningStats.add, RunningStats.empty());
    expect(RunningStats.zScore(flat, 3)).toBe(0);
    expect(RunningStats.zScore(flat, 4)).toBe(Number.POSITIVE_INFINITY);
    expect(RunningStats.variance(RunningStats.empty())).toBeNaN();
  });

  it('never mutates its input, and survives structured clone and JSON (its state form)', () => {
    const a = RunningStats.add(RunningStats.empty(), 5);
    const frozen = Object.freeze({ ...a });
    const b = RunningStats.add(frozen, 7);
    expect(frozen).toEqual(a);
    expect(RunningStats.add(structuredClone(a), 7)).toEqual(b);
    expect(RunningStats.add(JSON.parse(JSON.stringify(a)) as RunningStats, 7)).toEqual(b);
  });

  it('as an AggregateFunction (windows, aggregatingState)', () => {
    const agg = RunningStats.aggregate<{ v: number }>((e) => e.v);
    const acc = [1, 2, 3, 4].reduce((a, v) => agg.add({ v }, a), agg.createAccumulator());
    expect(agg.getResult(acc)).toMatchObject({ count: 4, mean: 2.5, min: 1, max: 4 });
    expect(agg.merge!(acc, agg.createAccumulator())).toEqual(acc);
  });
});

describe('Ewma', () => {
  it('mean and variance equal the recursive definition', () => {
    const xs = values(300, 5);
    const e = xs.reduce((acc, x) => Ewma.add(acc, x, 0.2), Ewma.empty());
    const b = ewmaBruteForce(xs, 0.2);
    expect(e.count).toBe(300);
    expect(e.mean / b.mean).toBeCloseTo(1, 10);
    expect(e.variance / b.variance).toBeCloseTo(1, 10);
    expect(Ewma.stdDev(e)).toBeCloseTo(Math.sqrt(b.variance), 6);
  });

  it('by time: a value one half-life after the previous one weighs one half; an older one none', () => {
    const first = Ewma.addAt(Ewma.empty(), 10, 1000, 500);
    expect(first).toMatchObject({ count: 1, mean: 10, lastMs: 1000 });
    expect(Ewma.addAt(first, 20, 1500, 500).mean).toBeCloseTo(15, 12);
    expect(Ewma.addAt(first, 20, 3000, 500).mean).toBeCloseTo(20 - 10 / 16, 12);
    expect(Ewma.addAt(first, 99, 900, 500)).toMatchObject({ count: 2, mean: 10, lastMs: 1000 });
  });

  it('refuses a weight outside (0, 1] and a half-life that is not positive', () => {
    expect(() => Ewma.add(Ewma.empty(), 1, 0)).toThrow(/alpha must be in \(0, 1\]/);
    expect(() => Ewma.add(Ewma.empty(), 1, 1.5)).toThrow(/alpha/);
    expect(() => Ewma.addAt(Ewma.empty(), 1, 0, 0)).toThrow(/halfLifeMs must be positive/);
  });
});

describe('running statistics in keyed state on worker threads', () => {
  for (const mode of [{ mode: 'continuous' as const }, { mode: 'micro-batch' as const, microBatchIntervalMs: 5 }]) {
    it(`per key, the last emitted statistics equal the brute force over the key's values (${mode.mode}, LMDB state)`, async () => {
      const result = await (await run(jobUrl('running-stats'), { ...mode, workDir: newDir(), params: { count: '4000' } })).done;
      const out = result.results.out as KeyStats[];
      const all = await readAll(generator({ partitions: 2, count: 4000, keys: 7, seed: 11 }));
      expect(out).toHaveLength(all.length);
      const last = new Map<number, KeyStats>();
      for (const o of out) if ((last.get(o.key)?.stats.count ?? 0) < o.stats.count) last.set(o.key, o);
      for (let key = 0; key < 7; key++) {
        const xs = all.filter((r) => r.value.key === key).map((r) => r.value.value);
        const b = bruteForce(xs);
        const got = last.get(key)!;
        expect(got.stats.count).toBe(b.n);
        expect(got.stats.mean).toBeCloseTo(b.mean, 6);
        expect(RunningStats.variance(got.stats) / b.variance).toBeCloseTo(1, 9);
        expect([got.stats.min, got.stats.max]).toEqual([b.min, b.max]);
        expect(got.ewma.count).toBe(b.n);
      }
    });
  }
});
