// The continuous top-N's shard and merge stages on a real keyed operator and state store (the
// keyed harness), fed random score changes that rise and fall, against brute force after every
// step: a shard's last emitted top n is always the n best of its keys' current scores, and the
// merge's upserts, applied in order, always give the n best of the shards' current tops.
import { describe, expect, it } from 'vitest';
import { mergeTopN, shardTopN, type KeyScore, type ShardTop, type TopNUpsert } from '../../src/time/continuous-top-n.ts';
import { KeyedOperatorHarness } from '../keyed-harness.ts';

/** Deterministic pseudo-random integers in [0, n). */
function randomInts(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

type Row = { key: number; value: number };
const best = (rows: Row[], n: number) => [...rows].sort((a, b) => b.value - a.value || (String(a.key) < String(b.key) ? -1 : 1)).slice(0, n);

for (const backend of ['heap', 'lmdb'] as const) {
  describe(`continuous top-N stages (${backend})`, () => {
    it('a shard keeps the n best of its keys while scores rise and fall (a fallen key is replaced from the rest)', () => {
      const n = 4;
      const harness = new KeyedOperatorHarness<KeyScore<number, number>, number, ShardTop<number, number>>(shardTopN<number, number>(n), { backend });
      const random = randomInts(7);
      const current = new Map<number, number>();
      for (let step = 0; step < 3_000; step++) {
        const key = random(25);
        const value = random(100);
        current.set(key, value);
        harness.element(3, { shard: 3, key, value, score: value, tie: String(key) });
        const emitted = harness.values();
        const last = emitted[emitted.length - 1];
        const want = best([...current].map(([k, v]) => ({ key: k, value: v })), n);
        expect(last.top.map((e) => e.value), `step ${step}`).toEqual(want);
      }
      harness.close();
    });

    it('the merge emits the changed ranks; applied in order they are the n best of all shards', () => {
      const n = 5;
      const harness = new KeyedOperatorHarness<ShardTop<number, number>, number, TopNUpsert<number, number>>(mergeTopN<number, number>(n), { backend });
      const random = randomInts(11);
      const tops = new Map<number, Row[]>();
      const table = new Map<number, Row>();
      let seen = 0;
      for (let step = 0; step < 2_000; step++) {
        const shard = random(6);
        // A shard's top n of its own keys (key k lives in shard k mod 6).
        const rows = Array.from({ length: random(n + 1) }, (_, i) => ({ key: shard + 6 * i, value: random(50) }));
        const top = best(rows, n);
        tops.set(shard, top);
        harness.element(0, { shard, top: top.map((r) => ({ score: r.value, tie: String(r.key), value: r })) });
        const emitted = harness.values();
        for (const u of emitted.slice(seen)) table.set(u.rank, { key: u.key, value: u.value });
        seen = emitted.length;
        const want = best([...tops.values()].flat(), n);
        // Ranks beyond the current length keep their last row (inserts only never shorten a ranking; here a shard may).
        expect([...table].filter(([rank]) => rank <= want.length).sort(([a], [b]) => a - b).map(([, r]) => r), `step ${step}`).toEqual(want);
      }
      harness.close();
    });
  });
}
