import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobState } from '../../src/runtime/metrics.ts';
import { run, type JobHandle } from '../../src/runtime/job/run.ts';
import { jobUrl } from '../helpers.ts';

/** The states metrics() reports while `until` is pending, in the order first seen. */
async function statesSeen(handle: JobHandle, until: Promise<unknown>): Promise<JobState[]> {
  const seen: JobState[] = [];
  let settled = false;
  until.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    const state = handle.metrics().state!;
    if (seen[seen.length - 1] !== state) seen.push(state);
    await new Promise((r) => setTimeout(r, 5));
  }
  return seen;
}

describe('job state, job.ready and start-up time', () => {
  let dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-state-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    dirs = [];
  });

  it('starting until every worker passed the start gate, then running, stopping and finished', async () => {
    const job = await run(jobUrl('cli-counts'), { params: { rate: '2000' }, workDir: tempDir() });
    const before = await statesSeen(job, job.ready);
    expect(before.every((s) => s === 'starting')).toBe(true);
    const atReady = job.metrics();
    expect(atReady.state).toBe('running');
    expect(atReady.startupMs).toBeGreaterThan(0);
    // start-up is over: it no longer grows
    await new Promise((r) => setTimeout(r, 50));
    expect(job.metrics().startupMs).toBe(atReady.startupMs);
    // the unbounded job reads once ready
    while (job.metrics().sources.reduce((a, s) => a + s.records, 0) === 0) await new Promise((r) => setTimeout(r, 10));
    expect(job.metrics().runMs).toBeGreaterThan(0);

    const stopped = job.stop();
    expect(job.metrics().state).toBe('stopping');
    const result = await stopped;
    expect(job.metrics().state).toBe('finished');
    expect(result.metrics.state).toBe('finished');
    expect(result.startupMs).toBe(atReady.startupMs);
    expect(result.runMs).toBeGreaterThan(0);
    expect(result.metrics.startupMs).toBe(result.startupMs);
    expect(result.metrics.runMs).toBe(result.runMs);
  });

  it('a job that fails while its workers open: ready rejects with the job error, state failed', async () => {
    const job = await run(jobUrl('fails-at-open'), { workDir: tempDir() });
    const [ready, done] = await Promise.allSettled([job.ready, job.done]);
    expect(ready.status).toBe('rejected');
    expect(done.status).toBe('rejected');
    expect((ready as PromiseRejectedResult).reason).toBe((done as PromiseRejectedResult).reason);
    expect(job.metrics().state).toBe('failed');
  });

  it('restarting after a failure the strategy retries, running again once the new attempt is ready', async () => {
    const markers = tempDir();
    const job = await run(jobUrl('checkpointed-counts'), {
      params: { count: '6000', rate: '2000', faults: 'throw@2500', markers },
      workDir: tempDir(),
      checkpointIntervalMs: 100,
      restartStrategy: { kind: 'fixed-delay', attempts: 2, delayMs: 300 },
    });
    const seen = await statesSeen(job, job.done);
    const result = await job.done;
    expect(result.metrics.restarts).toHaveLength(1);
    expect(seen[0]).toBe('starting');
    const restarting = seen.indexOf('restarting');
    expect(restarting).toBeGreaterThan(seen.indexOf('running'));
    expect(seen.slice(restarting + 1)).toContain('running');
    expect(job.metrics().state).toBe('finished');
    // runMs spans both attempts; durationMs is the last attempt's alone
    expect(result.runMs).toBeGreaterThan(result.durationMs);
  });

  it('a metrics() reading stays as it was read while later checkpoints complete', async () => {
    const job = await run(jobUrl('checkpointed-counts'), { params: { count: '100000', rate: '5000' }, workDir: tempDir(), checkpointIntervalMs: 20 });
    try {
      while ((job.metrics().checkpoints?.completed ?? 0) < 1) await new Promise((r) => setTimeout(r, 10));
      const reading = job.metrics();
      const { completed, lastCompletedId, history } = reading.checkpoints!;
      while (job.metrics().checkpoints!.lastCompletedId <= lastCompletedId) await new Promise((r) => setTimeout(r, 10));
      expect(reading.checkpoints).toMatchObject({ completed, lastCompletedId });
      expect(reading.checkpoints!.history).toEqual(history);
      expect(reading.checkpoints!.history.at(-1)!.id).toBe(lastCompletedId);
    } finally {
      await job.stop();
    }
  });
});
