import { describe, expect, it } from 'vitest';
import { run } from '../../src/runtime/index.ts';
import { jobUrl } from '../helpers.ts';

describe('backpressure and stop', () => {
  it('a slow sink blocks the source through the rings: memory stays bounded; stop() drains everything read', async () => {
    const handle = await run(jobUrl('slow-sink'), { parallelism: 2 });
    const heapBefore = process.memoryUsage().heapUsed;
    let rssPeak = 0;
    const samples: number[] = [];
    const blockedMs = () => handle.metrics().channels.reduce((a, c) => a + c.blockedMs, 0);
    // At least 1.5 s of running, and on until a producer has been seen blocked (however long a
    // busy machine takes to get there).
    for (let i = 0; i < 15 || (blockedMs() === 0 && i < 600); i++) {
      await new Promise((r) => setTimeout(r, 100));
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      const m = handle.metrics();
      samples.push(m.operators[0].recordsOut);
      // Rings never hold more than their capacity.
      for (const c of m.channels) expect(c.occupancy).toBeLessThanOrEqual(1);
    }
    const before = handle.metrics();
    const result = await handle.stop();
    const m = result.metrics;
    const sourceOut = m.operators.find((o) => o.kind === 'source')!.recordsOut;
    const sinkIn = m.operators.find((o) => o.kind === 'sink')!.recordsIn;
    // Nothing accepted is lost: everything the source emitted reached the sink.
    expect(sinkIn).toBe(sourceOut);
    expect((result.results.slow as number[]).reduce((a, b) => a + b, 0)).toBe(sourceOut);
    // The producers did block on full rings (that is the backpressure), and the source kept going.
    expect(m.channels.reduce((a, c) => a + c.blockedMs, 0)).toBeGreaterThan(0);
    expect(samples.at(-1)!).toBeGreaterThan(samples[0]);
    expect(before.sources.length).toBe(2);
    // The main thread's heap did not grow with the backlog (rings are fixed-size shared memory).
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    expect(rssPeak).toBeLessThan(2 * 1024 * 1024 * 1024);
  });
});
