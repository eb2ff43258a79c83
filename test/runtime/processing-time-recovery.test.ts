// Processing-time timers and checkpoints: records that a keyed operator emits only from its
// processing-time timers, across a second keyBy to an exactly-once sink, with a failure and a
// restore from a checkpoint: every record is in the output once. A timer that fired between the
// barrier going into the second exchange and the snapshot would have emptied its key's buffer in
// the snapshot while its records followed the barrier.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generator, readCommittedLines } from '../../src/connectors/index.ts';
import { run } from '../../src/runtime/index.ts';
import { jobUrl, readAll, tempDirsPerTest } from '../helpers.ts';
import { generated } from '../jobs/processing-time-recovery.ts';

const newDir = tempDirsPerTest('weir-processing-time-recovery-');

describe('processing-time timers across a restore', () => {
  it('a keyed operator that emits from processing-time timers into a keyBy: after a failure and a restore, every record once', async () => {
    const workDir = newDir();
    const out = join(workDir, 'out');
    const count = 4_000;
    const result = await (
      await run(jobUrl('processing-time-recovery'), {
        workDir,
        parallelism: 2,
        checkpointIntervalMs: 20,
        restartStrategy: { kind: 'fixed-delay', attempts: 5, delayMs: 10 },
        params: { count: String(count), failAt: '1500', markers: workDir, out },
      })
    ).done;
    expect(existsSync(join(workDir, 'fault'))).toBe(true);
    expect(result.metrics.restarts).toHaveLength(1);
    const expected = (await readAll(generator(generated(count)))).map(({ value: e }) => `${e.key} ${e.seq} ${e.value}`);
    expect(readCommittedLines(out).sort()).toEqual(expected.sort());
  });
});
