// Micro-batch with checkpoints under stress: epochs of a few hundred records, triggered every
// millisecond, a checkpoint every few epochs — so the main thread prunes the offset log while the
// workers write its entries. The job must complete with exactly the output of a run without
// checkpoints (the prune once removed a live worker's temporary entry: ENOENT on its rename).
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { readCommittedLines } from '../../src/connectors/index.ts';
import { run } from '../../src/runtime/index.ts';
import { jobUrl, tempDirsPerTest } from '../helpers.ts';

const newDir = tempDirsPerTest('weir-tiny-epochs-');

test('tiny micro-batches with frequent checkpoints complete with exact output', async () => {
  const params = { count: '60000', keys: '50' };
  const expected = ((await (await run(jobUrl('checkpointed-counts'), { workDir: newDir(), params })).done).results.out as string[]).sort();
  const workDir = newDir();
  const out = join(workDir, 'out');
  const result = await (
    await run(jobUrl('checkpointed-counts'), {
      workDir,
      mode: 'micro-batch',
      microBatchIntervalMs: 1,
      microBatchRecordsMax: 300,
      checkpointIntervalMs: 10,
      checkpointsRetained: 2,
      restartStrategy: { kind: 'none' },
      params: { ...params, out, markers: workDir },
    })
  ).done;
  expect(result.metrics.checkpoints!.completed).toBeGreaterThan(5); // the log was pruned many times
  expect(readCommittedLines(out).sort()).toEqual(expected);
});
