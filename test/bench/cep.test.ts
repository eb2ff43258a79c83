import { describe, expect, it } from 'vitest';
import { cepBench, formatCepFigures } from '../../native-bench/cep.ts';

// The CEP benchmark, small: it must keep running and report real figures (no timing asserted).
describe('CEP benchmark (small)', () => {
  it('reports finite, positive events/s and matches for CEP and the keyed baseline on both backends', async () => {
    // 1 000 sensors for 40 readings each: spikes, and rises within 30 s of some of them.
    const figures = await cepBench({ records: 40_000, sensors: 1_000 });
    expect(figures).toHaveLength(4);
    for (const f of figures) {
      expect(Number.isFinite(f.eventsPerSecPerCore) && f.eventsPerSecPerCore > 0, `${f.kind}/${f.stateBackend}`).toBe(true);
      expect(f.matches).toBeGreaterThan(0);
    }
    expect(formatCepFigures(figures)).toContain('events/s per core');
  });
});
