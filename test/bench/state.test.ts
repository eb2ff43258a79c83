import { describe, expect, it } from 'vitest';
import { growthBench, stateOpsBench, ttlBench } from '../../native-bench/state.ts';

// The keyed-state benchmark, small: it must keep running (no timing asserted), and TTL state must stay bounded.
describe('native-bench/state (small)', () => {
  it('reports finite, positive operations/s for every primitive on every backend', () => {
    const figures = stateOpsBench({ keys: 500, ops: 2000, runs: 1, flushEvery: 500 });
    expect(figures.length).toBe(4 * 6);
    for (const f of figures) expect(Number.isFinite(f.opsPerSec) && f.opsPerSec > 0, `${f.backend} ${f.primitive}`).toBe(true);
  });

  it('grows one key\'s list and map on every backend with a cache, and reports finite, positive elements/s', () => {
    const figures = growthBench({ elements: 20_000 });
    // Heap and the two LMDB set-ups with a cache, a list and a map each.
    expect(figures.length).toBe(3 * 2);
    expect(figures.some((f) => f.backend.includes('no cache'))).toBe(false);
    expect(new Set(figures.map((f) => f.primitive))).toEqual(new Set(['list: add', 'map: put, a new map key each']));
    for (const f of figures) expect(Number.isFinite(f.elementsPerSec) && f.elementsPerSec > 0, `${f.backend} ${f.primitive}`).toBe(true);
  });

  it('keeps TTL state bounded when 50,000 keys are each written once', () => {
    const f = ttlBench({ keys: 50_000 });
    expect(f.ttlMs).toBe(5000);
    expect(f.peakLiveEntries).toBeGreaterThanOrEqual(5000);
    expect(f.peakLiveEntries).toBeLessThan(25_000); // half of the keys at most: expired ones are removed
    expect(f.finalLiveEntries).toBeLessThanOrEqual(f.peakLiveEntries);
    expect(f.peakDiskBytes).toBeGreaterThan(0);
    expect(Number.isFinite(f.writesPerSec) && f.writesPerSec > 0).toBe(true);
  });
});
