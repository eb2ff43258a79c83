import { describe, expect, it } from 'vitest';
import { microBench } from '../../native-bench/micro.ts';
import { nativeRingBench } from '../../native-bench/native.ts';

// The micro-benchmarks and the native baseline, small: they must keep running (no timing asserted).
describe('native-bench (small)', () => {
  it('micro-benchmarks report finite, positive figures', async () => {
    const figures = await microBench({ quick: true });
    expect(figures.length).toBeGreaterThanOrEqual(12);
    for (const f of figures) expect(Number.isFinite(f.meanNs) && f.meanNs > 0 && f.samples > 0, f.name).toBe(true);
  });

  it('the C ring builds, runs and verifies its checksum', async () => {
    const { framesPerSec } = await nativeRingBench(200_000);
    expect(framesPerSec).toBeGreaterThan(0);
  });
});
