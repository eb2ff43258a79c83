import { describe, expect, it } from 'vitest';
import { formatWindowFigures, windowBench } from '../../native-bench/windows.ts';

// The window benchmark, small: it must keep running and report real figures (no timing asserted).
describe('window benchmark (small)', () => {
  it('reports finite, positive events/s for tumbling and session windows on both backends', async () => {
    const figures = await windowBench({ records: 20_000 });
    expect(figures).toHaveLength(4);
    for (const f of figures) {
      expect(Number.isFinite(f.eventsPerSecPerCore) && f.eventsPerSecPerCore > 0, `${f.kind}/${f.stateBackend}`).toBe(true);
      expect(f.results).toBeGreaterThan(0);
    }
    expect(formatWindowFigures(figures)).toContain('lmdb / heap');
  });
});
