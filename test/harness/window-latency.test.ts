import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/runtime/instrumentation/latency-merge.ts';
import { run } from '../../src/runtime/index.ts';
import { jobUrl } from '../helpers.ts';

describe('latency of window results', () => {
  // Window results are emitted from timers: each is measured from the newest record in its window.
  it.each(['continuous', 'micro-batch'] as const)('every window result is measured, with a windows stage (%s)', async (mode) => {
    const handle = await run(jobUrl('window-latency'), { mode, measureLatency: true, warmupMs: 0, microBatchIntervalMs: 50, params: { rate: '2000', seconds: '1.5' } });
    const result = await handle.done;
    const results = result.results.counts as number[];
    expect(results.reduce((a, n) => a + n, 0)).toBe(3_000);
    const latency = result.latency!.latency;
    const e2e = summarize(latency.endToEnd);
    const windows = summarize(latency.stages.windows);
    expect(e2e.count).toBe(results.length);
    expect(windows.count).toBeGreaterThan(0);
    expect(windows.count).toBe(results.length);
    expect(Number.isFinite(e2e.p50Ms)).toBe(true);
    expect(e2e.p50Ms).toBeGreaterThanOrEqual(windows.p50Ms);
    // The wait for the window to close is most of a result's latency, not a stale segment's.
    expect(summarize(latency.stages.operators).p50Ms).toBeLessThan(e2e.p50Ms);
  });
});
