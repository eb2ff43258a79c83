// A two-phase-commit sink (exactly-once: transactionalFileSink) in a job that takes no
// checkpoints. Nothing else ever commits its output, so the run commits it when it ends: the
// whole output of bounded input, what was written before a stop, and none of a failed run.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCommittedLines } from '../../src/connectors/index.ts';
import { run } from '../../src/runtime/job/run.ts';
import { jobUrl, tempDirsPerTest } from '../helpers.ts';

const dirs = tempDirsPerTest();

describe('an exactly-once sink in a job without checkpoints', () => {
  for (const mode of ['continuous', 'micro-batch'] as const) {
    it(`commits the whole output when bounded input ends (${mode})`, async () => {
      const out = join(dirs(), 'out');
      const written = await (await run(jobUrl('checkpointed-counts'), { mode, params: { count: '3000', out }, workDir: dirs() })).done;
      const collected = await (await run(jobUrl('checkpointed-counts'), { mode, params: { count: '3000' }, workDir: dirs() })).done;
      const expected = (collected.results.out as string[]).slice().sort();
      expect(expected.length).toBeGreaterThan(3000);
      expect(readCommittedLines(out).sort()).toEqual(expected);
      const committed = (written.results['transactional-file:' + out] as Array<{ committedLines: number }>).reduce((n, r) => n + r.committedLines, 0);
      expect(committed).toBe(expected.length);
    });
  }

  it('a stopped job commits what its sink accepted; a run over that output is refused, not doubled', async () => {
    const out = join(dirs(), 'out');
    const job = await run(jobUrl('checkpointed-counts'), { params: { count: '1000000', rate: '2000', out }, workDir: dirs() });
    await job.ready;
    const sinkRecords = () => job.metrics().operators.find((o) => o.kind === 'sink')?.recordsIn ?? 0;
    while (sinkRecords() < 500) await new Promise((r) => setTimeout(r, 10));
    await job.stop();
    const result = await job.done;
    const committed = (result.results['transactional-file:' + out] as Array<{ committedLines: number }>).reduce((n, r) => n + r.committedLines, 0);
    expect(committed).toBeGreaterThanOrEqual(500);
    expect(readCommittedLines(out)).toHaveLength(committed);
    const again = await run(jobUrl('checkpointed-counts'), { params: { count: '100', out }, workDir: dirs() });
    await expect(again.done).rejects.toThrow(/holds committed output of checkpoint 1 but the job starts without a checkpoint/);
  });

  it('a failed run commits nothing', async () => {
    const out = join(dirs(), 'out');
    const job = await run(jobUrl('checkpointed-counts'), { params: { count: '3000', alwaysFailAt: '1000', out }, workDir: dirs() });
    await expect(job.done).rejects.toThrow(/record 1000 always fails/);
    expect(readCommittedLines(out)).toEqual([]);
  });
});
