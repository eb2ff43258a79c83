// windowAll's final merge on its own (a keyed operator harness, real heap and LMDB stores): the
// partials of a window's shards merged when the watermark passes its end, and again on a shard's
// late firing, with an aggregate whose merge changes its first argument, as Flink's may.
import { describe, expect, it } from 'vitest';
import type { AggregateFunction } from '../../src/functions/contracts.ts';
import { finalWindowMerge, type MergeInput } from '../../src/time/window-all.ts';
import { TimeWindow } from '../../src/time/windows.ts';
import { KeyedOperatorHarness } from '../keyed-harness.ts';

/** Counts, merged in place into the first accumulator. */
const inPlaceCount: AggregateFunction<unknown, { n: number }, number> = {
  createAccumulator: () => ({ n: 0 }),
  add: (_v, acc) => {
    acc.n++;
    return acc;
  },
  merge: (a, b) => {
    a.n += b.n;
    return a;
  },
  getResult: (acc) => acc.n,
};

const partial = (shard: number, n: number): MergeInput<{ n: number }> => ({ partial: { shard, start: 0, end: 1_000, acc: { n } } });

describe.each(['heap', 'lmdb'] as const)('windowAll final merge (%s)', (backend) => {
  it('merges the shards\' partials at the window\'s end, and again, from the partials as they came, at a late firing', () => {
    const h = new KeyedOperatorHarness<MergeInput<{ n: number }>, number, number>(
      finalWindowMerge({ aggregate: inPlaceCount, windowOf: (start, end) => new TimeWindow(start, end), allowedLatenessMs: 5_000, lateDataTag: 'late', windowFn: undefined }),
      { backend },
    );
    h.element(0, partial(0, 3), 999);
    h.element(0, partial(1, 4), 999);
    h.advanceWatermark(999);
    expect(h.values()).toEqual([7]);
    // Shard 1 fires again with its whole updated accumulator (one late record): 3 + 5, not 7 + 5.
    h.element(0, partial(1, 5), 999);
    expect(h.values()).toEqual([7, 8]);
    h.element(0, partial(0, 4), 999);
    expect(h.values()).toEqual([7, 8, 9]);
    h.advanceWatermark(6_000);
    expect(h.stateEntries()).toBe(0);
  });

  it('refuses a partial that cannot be stored, naming the state', () => {
    const h = new KeyedOperatorHarness<MergeInput<unknown>, number, unknown>(
      finalWindowMerge({ aggregate: inPlaceCount as AggregateFunction<unknown, unknown, unknown>, windowOf: (start, end) => new TimeWindow(start, end), allowedLatenessMs: 0, lateDataTag: 'late', windowFn: undefined }),
      { backend },
    );
    expect(() => h.element(0, { partial: { shard: 0, start: 0, end: 1_000, acc: { f: () => 1 } } }, 999)).toThrow(/window-partials.*a function at \.0\/1000\.partials\.0\.f/);
  });
});
