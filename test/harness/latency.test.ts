import { describe, expect, it } from 'vitest';
import { run } from '../../src/runtime/index.ts';
import { summarize } from '../../src/runtime/instrumentation/latency-merge.ts';
import { jobUrl } from '../helpers.ts';

describe('latency measurement', () => {
  it('a stall shows in the tail: latency is timed from the scheduled creation (coordinated omission)', async () => {
    // 10 000 events/s for 2 s; the sink stalls 300 ms at record 5000 (t ≈ 0.5 s). In those 300 ms
    // 3000 records are due: a closed-loop measurement would see one slow record; open loop sees
    // ~3000 delayed ones, up to ~300 ms, so p90+ of the whole run reflects the stall.
    const handle = await run(jobUrl('stall'), { measureLatency: true, params: { rate: '10000', seconds: '2', stallMs: '300' } });
    const result = await handle.done;
    const e2e = summarize(result.latency!.latency.endToEnd);
    expect(e2e.count).toBe(20_000);
    expect(e2e.maxMs).toBeGreaterThanOrEqual(280);
    expect(e2e.p90Ms).toBeGreaterThanOrEqual(20); // ~15 % of the records were behind the stall
    const source = summarize(result.latency!.latency.stages.source);
    expect(source.maxMs).toBeGreaterThanOrEqual(250); // where the time went: waiting to be read
  });

  it('records created during the warm-up are not measured', async () => {
    // 10 000 events/s for 4 s, a 2 s stall at t = 0.1 s, 3 s of warm-up: only the last second's
    // records are measured, none of which was created before the stall ended.
    const stallMs = 2_000;
    const handle = await run(jobUrl('stall'), { measureLatency: true, warmupMs: 3_000, params: { rate: '10000', seconds: '4', stallAt: '1000', stallMs: String(stallMs) } });
    const e2e = summarize((await handle.done).latency!.latency.endToEnd);
    // Which records are measured follows from their scheduled creation alone, not from the clock.
    expect(e2e.count).toBeGreaterThanOrEqual(9_999);
    expect(e2e.count).toBeLessThanOrEqual(10_001);
    // The stalled records (up to 2 s late) are not among them.
    expect(e2e.maxMs).toBeLessThan(stallMs / 2);
  });

  it('a record of an exactly-once sink is measured visible when its checkpoint commits, not when the sink flushes', async () => {
    // 2 000 events/s for 2 s into a two-phase sink whose every commit takes 300 ms, checkpoints
    // every 100 ms: each record waits at least for the whole commit after its pre-commit. A lower
    // bound, which a busy machine only makes longer.
    for (const mode of ['continuous', 'micro-batch'] as const) {
      const handle = await run(jobUrl('slow-commit'), { mode, measureLatency: true, microBatchIntervalMs: 50, params: { rate: '2000', seconds: '2', commitMs: '300' } });
      const { latency } = (await handle.done).latency!;
      expect(summarize(latency.endToEnd).count).toBe(4_000); // every record, the last ones at the final checkpoint's commit
      expect(summarize(latency.stages['until-visible']).minMs).toBeGreaterThanOrEqual(299);
    }
  });

  it('the same seed and configuration give the same output checksum, in both modes; another seed another', async () => {
    const checksum = async (mode: 'continuous' | 'micro-batch', seed: string) => {
      const handle = await run(new URL('../../examples/clicks.ts', import.meta.url), {
        mode,
        outputChecksum: true,
        params: { rate: '50000', seconds: '0.5', seed },
        microBatchIntervalMs: 50,
      });
      return (await handle.done).outputChecksum;
    };
    const a = await checksum('continuous', '7');
    expect(a).toMatch(/^[0-9a-f]{16}-\d+$/);
    expect(await checksum('continuous', '7')).toBe(a);
    expect(await checksum('micro-batch', '7')).toBe(a);
    expect(await checksum('continuous', '8')).not.toBe(a);
  });
});
