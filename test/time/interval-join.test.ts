// The interval-join operator driven directly (test/keyed-harness.ts), against all pairs by definition.
import { describe, expect, it } from 'vitest';
import type { Tagged } from '../../src/api/joins.ts';
import { intervalJoinOperator } from '../../src/time/interval-join.ts';
import { LATE_RECORDS_TAG } from '../../src/time/index.ts';
import { KeyedOperatorHarness, type HarnessBackend } from '../keyed-harness.ts';
import { bruteForceIntervalJoin } from './brute-force.ts';

type Rec = { key: number; ts: number; id: string };

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Two interleaved sides, timestamps mostly increasing with disorder ≤ 50 ms. */
function sides(n: number, seed: number): Array<Tagged<Rec, Rec>> {
  const rand = lcg(seed);
  const out: Array<Tagged<Rec, Rec>> = [];
  for (let i = 0; i < n; i++) {
    const side = rand() < 0.5 ? 0 : 1;
    const ts = 1000 + i * 4 - Math.floor(rand() * 50);
    const rec = { key: Math.floor(rand() * 5), ts, id: `${side}-${i}` };
    out.push(side === 0 ? { side: 0, value: rec } : { side: 1, value: rec });
  }
  return out;
}

const pairOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

for (const [lowerMs, upperMs] of [
  [-30, 40],
  [10, 60],
  [-60, -5],
  [0, 0],
] as const) {
  for (const backend of ['heap', 'lmdb'] as HarnessBackend[]) {
    describe(`interval join [${lowerMs}, ${upperMs}] (${backend} state)`, () => {
      it('emits exactly the pairs with b.ts − a.ts in the interval, at max(a.ts, b.ts), and cleans its buffers', () => {
        const records = sides(1500, 9 + lowerMs);
        const fn = intervalJoinOperator<Rec, Rec, number, { pair: string; ts: number }>({
          lowerMs,
          upperMs,
          fn: (a, b, ctx) => {
            expect(ctx.leftTimestampMs).toBe(a.ts);
            expect(ctx.rightTimestampMs).toBe(b.ts);
            ctx.emit({ pair: `${a.id}|${b.id}`, ts: ctx.timestampMs });
          },
        });
        const rt = new KeyedOperatorHarness(fn, { backend });
        let maxTs = -Infinity;
        for (const r of records) {
          rt.element(r.value.key, r, r.value.ts);
          maxTs = Math.max(maxTs, r.value.ts);
          rt.advanceWatermark(maxTs - 50 - 1);
        }
        // Buffers stay bounded by the interval and the disorder, not by the input.
        expect(rt.stateEntries()).toBeLessThan(200);
        rt.end();
        const as = records.filter((r) => r.side === 0).map((r) => r.value);
        const bs = records.filter((r) => r.side === 1).map((r) => r.value);
        const want = bruteForceIntervalJoin(as, bs, lowerMs, upperMs).map(([a, b]) => `${a.id}|${b.id}`);
        expect(want.length).toBeGreaterThan(10);
        expect(rt.values().map((v) => v.pair).sort(pairOrder)).toEqual(want.sort(pairOrder));
        for (const e of rt.emitted) expect(e.timestampMs).toBe(e.value.ts);
        expect(rt.sideOutput(LATE_RECORDS_TAG)).toEqual([]);
        expect(rt.stateEntries()).toBe(0);
      });
    });
  }
}

describe('interval join lateness', () => {
  it('records behind the watermark go to their side’s late output', () => {
    const fn = intervalJoinOperator<Rec, Rec, number, string>({ lowerMs: -10, upperMs: 10, fn: (a, b, ctx) => ctx.emit(`${a.id}|${b.id}`), lateSecondTag: 'late-b' });
    const rt = new KeyedOperatorHarness(fn);
    rt.advanceWatermark(100);
    const lateA = { key: 1, ts: 50, id: 'a' };
    const lateB = { key: 1, ts: 60, id: 'b' };
    rt.element(1, { side: 0, value: lateA }, 50);
    rt.element(1, { side: 1, value: lateB }, 60);
    expect(rt.sideOutput(LATE_RECORDS_TAG)).toEqual([lateA]);
    expect(rt.sideOutput('late-b')).toEqual([lateB]);
    expect(rt.emitted).toEqual([]);
  });
});
