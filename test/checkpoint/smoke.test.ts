import { expect, test } from 'vitest';
import { run } from '../../src/runtime/run.ts';
import { jobUrl, tempDir } from '../helpers.ts';

test('smoke: checkpoints complete and a bounded job ends', async () => {
  const dir = tempDir();
  const h = await run(jobUrl('checkpointed-counts'), { workDir: dir.path, checkpointIntervalMs: 20, params: { count: '20000', rate: '20000' } });
  const r = await h.done;
  console.log(r.metrics.checkpoints, (r.results.out as string[]).length);
  expect((r.results.out as string[]).length).toBeGreaterThan(20000);
}, 60_000);
