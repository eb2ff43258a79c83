// The combiner (src/runtime/worker/combiner.ts) at a watermark sends exactly the held records the
// watermark would make late — those whose newest timestamp is at or before it — and keeps the rest,
// however folds moved their timestamps and however the watermark moved (creeping, jumping, within a
// millisecond). Checked against a model that looks at every held record, over random sequences.
// It found a record held without a time, then folded with a timed one, left out of the bound that
// lets a watermark pass without a look: it would have crossed behind the watermark.
import { describe, expect, it } from 'vitest';
import { Combiner } from '../../src/runtime/worker/combiner.ts';

interface Sent {
  key: string | number;
  value: number;
  timestampMs: number;
}

/** Park–Miller: the same sequence for a seed. */
function random(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 0x7fffffff) / 0x7fffffff;
}

/** A combiner that sums and records what it sends, and a model of what it holds. */
function pair() {
  const sent: Sent[] = [];
  const combiner = new Combiner((a, b) => (a as number) + (b as number), 60_000, (key, value, timestampMs) => sent.push({ key: key as string | number, value: value as number, timestampMs }), () => 0);
  const model = new Map<string | number, { value: number; timestampMs: number }>();
  return {
    sent,
    combiner,
    add(key: string | number, value: number, timestampMs: number) {
      combiner.add(key, value, timestampMs, NaN, 0, 0);
      const h = model.get(key);
      if (h === undefined) model.set(key, { value, timestampMs });
      else {
        h.value += value;
        if (Number.isNaN(h.timestampMs) || timestampMs > h.timestampMs) h.timestampMs = timestampMs;
      }
    },
    /** What the model says the watermark makes late: taken out of it, in key order. */
    due(watermarkMs: number): Sent[] {
      const out: Sent[] = [];
      for (const [key, h] of model) if (h.timestampMs <= watermarkMs) out.push({ key, ...h });
      for (const s of out) model.delete(s.key);
      return out.sort(byKey);
    },
    flushed(): Sent[] {
      const out = [...model].map(([key, h]) => ({ key, ...h }));
      model.clear();
      return out.sort(byKey);
    },
  };
}

const byKey = (a: Sent, b: Sent) => String(a.key).localeCompare(String(b.key));

describe('Combiner at a watermark', () => {
  it('sends exactly what the watermark makes late, over random adds, folds and watermarks', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const next = random(seed);
      const p = pair();
      let watermarkMs = 1_000;
      for (let step = 0; step < 400; step++) {
        const r = next();
        if (r < 0.7) {
          // Out of order by up to 50 ms, sometimes within a millisecond, sometimes without a time.
          const ts = next() < 0.05 ? NaN : watermarkMs + Math.floor(next() * 50) + (next() < 0.2 ? 0.5 : 0);
          p.add(next() < 0.5 ? Math.floor(next() * 20) : `k${Math.floor(next() * 20)}`, 1 + Math.floor(next() * 9), ts);
        } else if (r < 0.97) {
          // Creeps by under a millisecond or a few; now and then jumps far.
          watermarkMs += next() < 0.1 ? 10_000 : next() < 0.3 ? 0.25 : Math.floor(next() * 8);
          p.sent.length = 0;
          p.combiner.onWatermark(watermarkMs, false);
          expect([...p.sent].sort(byKey), `seed ${seed}, step ${step}`).toEqual(p.due(watermarkMs));
        } else {
          p.sent.length = 0;
          p.combiner.flushAll();
          expect([...p.sent].sort(byKey), `seed ${seed}, step ${step}`).toEqual(p.flushed());
        }
      }
      p.sent.length = 0;
      p.combiner.flushAll();
      expect([...p.sent].sort(byKey)).toEqual(p.flushed());
    }
  });

  it('a record folded past the watermark waits for its newest time; one without a time waits for the batch', () => {
    const p = pair();
    p.add('a', 1, 100);
    p.add('a', 2, 300); // folded: now newest at 300
    p.add('b', 5, NaN);
    p.combiner.onWatermark(200, false);
    expect(p.sent).toEqual([]);
    p.combiner.onWatermark(300, false);
    expect(p.sent).toEqual([{ key: 'a', value: 3, timestampMs: 300 }]);
    p.sent.length = 0;
    p.combiner.onWatermark(Number.POSITIVE_INFINITY, false);
    expect(p.sent).toEqual([]);
    p.combiner.flushAll();
    expect(p.sent).toEqual([{ key: 'b', value: 5, timestampMs: NaN }]);
  });

  it('an idle input sends everything held', () => {
    const p = pair();
    p.add(1, 1, 10);
    p.add(2, 1, 5_000);
    p.combiner.onWatermark(0, true);
    expect(p.sent.map((s) => s.key).sort()).toEqual([1, 2]);
  });
});
