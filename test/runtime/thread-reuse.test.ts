// A job runs on the idle threads an earlier job of the process left when every task of that one
// ended by itself (runtime/job/thread-pools.ts), with its job module imported afresh; never on
// threads that had to be torn down.
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeIdleThreads, run } from '../../src/runtime/index.ts';
import { jobUrl, expectWeirError } from '../helpers.ts';

type Where = { threadId: number; recordsSeen: number };

/** The worker threads a run of the thread-identity job ran on, each with a job module of its own. */
async function threadsOfRun(options: { reuseThreads?: boolean } = {}): Promise<Set<number>> {
  const handle = await run(jobUrl('thread-identity'), { parallelism: 2, ...options });
  const where = (await handle.done).results.where as Where[];
  expect(where).toHaveLength(20);
  const threads = new Set(where.map((w) => w.threadId));
  expect(threads.size).toBe(2);
  // Each thread's module instance saw only this run's records: 1, 2, … up to its partition's 10.
  for (const thread of threads) {
    const seen = where.filter((w) => w.threadId === thread).map((w) => w.recordsSeen);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  }
  return threads;
}

const shared = (a: Set<number>, b: Set<number>) => [...a].filter((t) => b.has(t));

describe('worker threads kept for the next job of the process', () => {
  it('a job after one that ended normally runs on its threads, with the job module evaluated afresh', async () => {
    const first = await threadsOfRun();
    const second = await threadsOfRun();
    expect(second).toEqual(first);
  });

  it('a failed job whose workers all stopped by themselves leaves its threads for the next job', async () => {
    const before = await threadsOfRun();
    // Takes the idle threads `before` ran on, and fails on them.
    const failing = await run(jobUrl('thread-identity'), { parallelism: 2, params: { fail: '1' } });
    await expectWeirError(failing.done, 'WEIR_USER_FUNCTION', /failing on record/);
    expect(await threadsOfRun()).toEqual(before);
  });

  it('the threads of a failed job are not reused when one had to be torn down', async () => {
    const before = await threadsOfRun();
    // One worker fails, the other is busy past the grace period on the threads `before` ran on.
    const hangMarker = join(tmpdir(), `weir-hang-${process.pid}-${Date.now()}`);
    const failing = await run(jobUrl('thread-identity'), { parallelism: 2, params: { fail: '1', hangMarker } });
    await expectWeirError(failing.done, 'WEIR_USER_FUNCTION', /failing on record/);
    rmSync(hangMarker, { force: true });
    expect(shared(before, await threadsOfRun())).toEqual([]);
  });

  it('reuseThreads: false runs on new threads and does not leave them for the next job', async () => {
    const before = await threadsOfRun();
    const own = await threadsOfRun({ reuseThreads: false });
    expect(shared(before, own)).toEqual([]);
    // `own` ended with its threads: the next job takes the ones `before` left.
    expect(await threadsOfRun()).toEqual(before);
  });

  it('closeIdleThreads ends the idle threads: the next job starts new ones', async () => {
    const before = await threadsOfRun();
    await closeIdleThreads();
    expect(shared(before, await threadsOfRun())).toEqual([]);
  });
});
