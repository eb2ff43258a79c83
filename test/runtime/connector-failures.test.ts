// A worker that fails while it opens (sinks, dead-letter output, state restore) reports that
// failure with its own code and message — not a TypeError of its clean-up; so do connectors that
// fail later, and unexpected exceptions in a worker.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { run } from '../../src/runtime/index.ts';
import { expectWeirError, jobUrl, tempDirsPerTest } from '../helpers.ts';

const newDir = tempDirsPerTest('weir-open-');

const none = { kind: 'none' } as const;

describe('failures while a worker opens', () => {
  test('a sink whose open throws: WEIR_SINK naming the sink, with its own message', async () => {
    const handle = await run(jobUrl('connector-failures'), { workDir: newDir(), parallelism: 2, params: { what: 'sink-throws' } });
    const err = await expectWeirError(handle.done, 'WEIR_SINK', /sink "archive" could not open: cannot reach the archive for archive/);
    expect(err.operator).toBe('archive');
    expect(err.message).not.toMatch(/counters/);
  });

  test('a dead-letter sink whose open throws: the same', async () => {
    const handle = await run(jobUrl('connector-failures'), { workDir: newDir(), parallelism: 2, params: { what: 'dead-letters-throw' } });
    await expectWeirError(handle.done, 'WEIR_SINK', /sink "archive-dlq" could not open: cannot reach the archive for archive-dlq/);
  });

  test('a transactional file sink dir holding another run\'s committed output: its own refusal', async () => {
    const workDir = newDir();
    const dir = join(workDir, 'out');
    const first = await (await run(jobUrl('connector-failures'), { workDir, parallelism: 2, checkpointIntervalMs: 50, stateDir: join(workDir, 'state-a'), params: { what: 'transactional', dir } })).done;
    expect(first.metrics.checkpoints!.completed).toBeGreaterThan(0);
    // Another run (another state dir: no checkpoint of the first) into the same dir.
    const second = await run(jobUrl('connector-failures'), { workDir, parallelism: 2, checkpointIntervalMs: 50, stateDir: join(workDir, 'state-b'), restartStrategy: none, params: { what: 'transactional', dir } });
    await expectWeirError(second.done, 'WEIR_SINK', /holds committed output of checkpoint \d+ but the job starts without a checkpoint/);
  });

  test('a damaged checkpoint whose output is committed: the fallback is refused with the sink\'s own error', async () => {
    const workDir = newDir();
    const stateDir = join(workDir, 'state');
    const out = join(workDir, 'out');
    await (await run(jobUrl('checkpointed-counts'), { workDir, stateDir, checkpointIntervalMs: 20, checkpointsRetained: 1000, params: { count: '20000', rate: '40000', out, markers: workDir } })).done;
    // Damage every checkpoint from the newest one that committed output on: the run falls back to
    // one before it, whose output the sink has already committed.
    const newestWithOutput = Math.max(...readdirSync(out).map((f) => Number(/-(\d+)\.txt$/.exec(f)?.[1] ?? 0)));
    const checkpoints = readdirSync(join(stateDir, 'checkpoints')).filter((d) => d.startsWith('chk-'));
    const idOf = (d: string) => Number(d.slice('chk-'.length));
    expect(checkpoints.some((d) => idOf(d) < newestWithOutput)).toBe(true);
    for (const d of checkpoints.filter((d) => idOf(d) >= newestWithOutput)) writeFileSync(join(stateDir, 'checkpoints', d, '_metadata'), '{"half": ');
    const handle = await run(jobUrl('checkpointed-counts'), { workDir, stateDir, checkpointIntervalMs: 20, restartStrategy: none, params: { count: '20000', out, markers: workDir } });
    await expectWeirError(handle.done, 'WEIR_SINK', /holds committed output of checkpoint \d+ but the job resumes from checkpoint \d+/);
  });

  test('a state restore that fails in the worker: its own error', async () => {
    const workDir = newDir();
    await (await run(jobUrl('checkpointed-counts'), { workDir, checkpointIntervalMs: 20, keyGroups: 64, params: { count: '2000', markers: workDir } })).done;
    const handle = await run(jobUrl('checkpointed-counts'), { workDir, checkpointIntervalMs: 20, keyGroups: 128, restartStrategy: none, params: { count: '2000', markers: workDir } });
    await expectWeirError(handle.done, 'WEIR_CONFIG', /has 64 key groups and this run 128/);
  });
});

describe('failures of connectors while the job runs', () => {
  test('a source whose poll throws: WEIR_SOURCE naming the source and partition', async () => {
    const handle = await run(jobUrl('connector-failures'), { workDir: newDir(), params: { what: 'poll-throws' } });
    const err = await expectWeirError(handle.done, 'WEIR_SOURCE', /source "flaky" partition 0 failed: socket closed/);
    expect(err.operator).toBe('flaky');
    expect(err.stack).toContain('connector-failures.ts');
  });

  test('a sink whose flush throws: WEIR_SINK naming the sink', async () => {
    const handle = await run(jobUrl('connector-failures'), { workDir: newDir(), parallelism: 2, params: { what: 'flush-throws' } });
    await expectWeirError(handle.done, 'WEIR_SINK', /sink "archive" could not flush: disk gone/);
  });

  test('an unexpected exception in a worker is its failure, with its own message (not "aborted")', async () => {
    const handle = await run(jobUrl('connector-failures'), { workDir: newDir(), params: { what: 'idle-throws' } });
    await expectWeirError(handle.done, 'WEIR_WORKER_DIED', /worker 0 failed: idle clock broken/);
  });
});
