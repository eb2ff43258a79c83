import { describe, expect, it } from 'vitest';
import { pipelineBench } from '../../native-bench/pipeline.ts';

// The end-to-end benchmark, small: it must keep running and report sane figures (no timing asserted).
describe('native-bench/pipeline (small)', () => {
  it('runs on 1 and 2 workers and reports finite rates', async () => {
    const figures = await pipelineBench({ records: 200_000, workers: [1, 2] });
    expect(figures.map((f) => f.workers)).toEqual([1, 2]);
    for (const f of figures) {
      expect(Number.isFinite(f.eventsPerSec) && f.eventsPerSec > 0).toBe(true);
      expect(f.eventsPerSecPerCore).toBeCloseTo(f.eventsPerSec / f.workers);
    }
  });
});
