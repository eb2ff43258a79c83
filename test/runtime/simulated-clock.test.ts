// The worker loop on an injected clock and doorbell (src/runtime/worker/environment.ts), run in
// the test's own thread: processing time, a rate-limited source's schedule and processing-time
// timers all read the simulated clock, which moves only when the worker waits. The output of
// processing-time windows — which on the system clock depends on scheduling — is then exact and
// the same on every run.
import { describe, expect, it } from 'vitest';
import { generatedEvent } from '../../src/connectors/generator.ts';
import { generated } from '../jobs/processing-time-counts.ts';
import { runSimulatedWorker } from '../simulated-worker.ts';
import { jobUrl } from '../helpers.ts';

const job = jobUrl('processing-time-counts');
const startMs = 1_700_000_000_000; // a multiple of the windows' 100 ms

type Row = { key: number; startMs: number; count: number; firstSeq: number };
const byWindowAndKey = (a: Row, b: Row) => a.startMs - b.startMs || a.key - b.key;

/**
 * What the job must give: record i is due at startMs + i (1 000 per second), so it lands in window
 * ⌊i / 100⌋. The last window is still open when the input ends, at its last millisecond, and a
 * processing-time window open at the end of a bounded input does not fire (as in Flink's streaming
 * mode: docs/event-time.md).
 */
function expectedRows(): Row[] {
  const rows = new Map<string, Row>();
  for (let i = 0; i < generated.count - 100; i++) {
    const { key } = generatedEvent(generated, 0, i);
    const windowStartMs = startMs + Math.floor(i / 100) * 100;
    const row = rows.get(`${windowStartMs}/${key}`);
    if (row) row.count++;
    else rows.set(`${windowStartMs}/${key}`, { key, startMs: windowStartMs, count: 1, firstSeq: i });
  }
  return [...rows.values()].sort(byWindowAndKey);
}

describe('a worker on a simulated clock', () => {
  it('puts every record of a rate-limited source into the processing-time window of the millisecond it was due, the same on every run', async () => {
    const first = await runSimulatedWorker(job, startMs);
    const second = await runSimulatedWorker(job, startMs);
    const rows = (first.result.results.windows as Row[]).slice().sort(byWindowAndKey);
    expect(rows).toEqual(expectedRows());
    expect(rows.reduce((n, r) => n + r.count, 0)).toBe(generated.count - 100);
    // Bit for bit: the same rows in the same order, after the same waits.
    expect(second.result.results.windows).toEqual(first.result.results.windows);
    expect(second.clock.waits).toEqual(first.clock.waits);
    // Simulated time passed as the source's schedule says (1 000 records at 1 per ms), not as the host ran.
    expect(first.clock.nowMs() - startMs).toBeGreaterThanOrEqual(generated.count - 1);
  });
});
