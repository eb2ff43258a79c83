// Checkpoints and recovery end to end, on real worker threads, LMDB and files: a deterministic
// keyed job (test/jobs/checkpointed-counts.ts) whose committed output must equal a failure-free
// run's exactly — nothing lost, nothing duplicated — whatever fails along the way.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readCommittedLines } from '../../src/connectors/index.ts';
import { run, type RunOptions } from '../../src/runtime/index.ts';
import { expectWeirError, jobUrl, tempDirsPerTest, waitLimitMs } from '../helpers.ts';

const count = 20_000;
const newDir = tempDirsPerTest('weir-recovery-');

/** The failure-free output, from a run without checkpoints into collect(). */
const expected = new Map<string, string[]>();
async function expectedOutput(keys = '50'): Promise<string[]> {
  if (!expected.has(keys)) {
    const result = await (await run(jobUrl('checkpointed-counts'), { workDir: newDir(), params: { count: String(count), keys } })).done;
    expected.set(keys, (result.results.out as string[]).slice().sort());
  }
  return expected.get(keys)!;
}

async function runExactlyOnce(options: RunOptions & { params?: Record<string, string> }, workDir = newDir()) {
  const out = join(workDir, 'out');
  const handle = await run(jobUrl('checkpointed-counts'), {
    checkpointIntervalMs: 20,
    restartStrategy: { kind: 'fixed-delay', attempts: 10, delayMs: 10 },
    ...options,
    workDir,
    params: { count: String(count), out, markers: workDir, ...options.params },
  });
  const result = await handle.done;
  return { result, committed: readCommittedLines(out).sort(), workDir };
}

/**
 * Every injected fault fired (its marker is there) and each failure restarted the job. Two faults
 * can fire in one attempt (a partition running ahead reaches its seq before the other worker's
 * failure stops it), so an attempt's restart may count more than one.
 */
function expectFaultsFired(markers: string, faults: number, restarts: number): void {
  expect(readdirSync(markers).filter((f) => f.startsWith('fault-')).sort()).toEqual(Array.from({ length: faults }, (_, i) => `fault-${i}`));
  expect(restarts).toBeGreaterThanOrEqual(1);
  expect(restarts).toBeLessThanOrEqual(faults);
}

describe('checkpoints', () => {
  test('a failure-free run commits exactly the output of a run without checkpoints, and takes checkpoints', async () => {
    const { result, committed } = await runExactlyOnce({ params: { rate: '40000' } });
    expect(committed).toEqual(await expectedOutput());
    expect(result.metrics.checkpoints!.completed).toBeGreaterThan(2);
    expect(result.metrics.restarts).toEqual([]);
  });

  test('a sink with buckets: every bucket committed exactly once through a throw and a dying thread', async () => {
    const workDir = newDir();
    const { result } = await runExactlyOnce({ params: { rate: '20000', buckets: '1', faults: 'throw@3000,exit@7000' } }, workDir);
    expectFaultsFired(workDir, 2, result.metrics.restarts!.length);
    const out = join(workDir, 'out');
    const committed: string[] = [];
    const buckets = readdirSync(out).flatMap((kind) => readdirSync(join(out, kind)).map((key) => `${kind}/${key}`));
    expect(buckets.length).toBeGreaterThan(50);
    for (const bucket of buckets) for (const line of readCommittedLines(join(out, bucket))) committed.push(line);
    expect(committed.sort()).toEqual(await expectedOutput());
    for (const bucket of buckets) for (const line of readCommittedLines(join(out, bucket))) expect(line.split(' ', 2).join('/')).toBe(bucket);
    // What the failed attempts left in progress or pending, in any bucket, the restarts removed.
    expect(buckets.flatMap((bucket) => readdirSync(join(out, bucket)).filter((f) => f.startsWith('.')))).toEqual([]);
  });

  test('in micro-batch mode too (a checkpoint at the end of an epoch)', async () => {
    // Epochs of at most 1 000 records: many epochs, and so checkpoints on the way, however slowly
    // (and so in however few triggers) a busy machine runs the job.
    const { result, committed } = await runExactlyOnce({ mode: 'micro-batch', microBatchIntervalMs: 20, microBatchRecordsMax: 1_000, params: { rate: '40000' } });
    expect(committed).toEqual(await expectedOutput());
    expect(result.metrics.checkpoints!.completed).toBeGreaterThanOrEqual(2); // at least one on the way and the final one
  });

  test('LMDB checkpoints are incremental when few keys change: deltas link the earlier files in, and recovery through them is exact', async () => {
    // 20 K keys at a modest rate, so only part of the state changes between two checkpoints, even
    // on a loaded machine (an open-loop source catches up after a stall); a throw and a dying
    // thread make the job restore from checkpoints made of a full snapshot and deltas.
    const { result, committed, workDir } = await runExactlyOnce({ checkpointsRetained: 1000, params: { rate: '5000', keys: '20000', faults: 'throw@4000,exit@8000' } });
    expect(committed).toEqual(await expectedOutput('20000'));
    expectFaultsFired(workDir, 2, result.metrics.restarts!.length);
    const root = join(workDir, 'checkpoints');
    const linked = readdirSync(root)
      .filter((d) => d.startsWith('chk-'))
      .flatMap((d) => readdirSync(join(root, d)).filter((f) => f.endsWith('.snapshot') && !f.endsWith(`.chk-${Number(d.slice(4))}.snapshot`)));
    expect(linked.length).toBeGreaterThan(0); // files of earlier checkpoints, linked into later ones
    expect(readdirSync(root).filter((f) => f.endsWith('.merging'))).toEqual([]); // no merge left waiting
  });

  test('a long chain of deltas is merged in the background, and later checkpoints build on the merged file', async () => {
    // An input longer than the test waits for: it runs until a checkpoint has started from a
    // merged base (however long a busy machine takes to get there), then stops.
    const workDir = newDir();
    const handle = await run(jobUrl('checkpointed-counts'), {
      workDir,
      checkpointIntervalMs: 20,
      checkpointsRetained: 1000,
      params: { count: '100000000', rate: '5000', keys: '20000', out: join(workDir, 'out'), markers: workDir },
    });
    await handle.ready;
    const merged = () => handle.metrics().checkpoints?.merged ?? 0;
    for (let waitedMs = 0; merged() === 0 && waitedMs < waitLimitMs; waitedMs += 50) await new Promise((r) => setTimeout(r, 50));
    const result = await handle.stop();
    expect(result.metrics.checkpoints!.merged).toBeGreaterThan(0);
    const root = join(workDir, 'checkpoints');
    const linked = readdirSync(root)
      .filter((d) => d.startsWith('chk-'))
      .flatMap((d) => readdirSync(join(root, d)).filter((f) => f.endsWith('.merged.snapshot')));
    expect(linked.length).toBeGreaterThan(0);
    expect(readdirSync(root).filter((f) => f.endsWith('.merging'))).toEqual([]);
  });

  test('a job resumed from its state directory builds its first checkpoint on the restored files, and its output goes on exactly', async () => {
    const workDir = newDir();
    const out = join(workDir, 'out');
    const options = { workDir, checkpointIntervalMs: 20, checkpointsRetained: 1000, restartStrategy: { kind: 'none' as const } };
    const params = { rate: '5000', keys: '20000', out, markers: workDir };
    await (await run(jobUrl('checkpointed-counts'), { ...options, params: { ...params, count: String(count / 2) } })).done;
    const root = join(workDir, 'checkpoints');
    const before = new Set(readdirSync(root).filter((d) => d.startsWith('chk-')));
    // The same job with more input: it resumes from the last checkpoint (positions and counts).
    const resumed = await (await run(jobUrl('checkpointed-counts'), { ...options, params: { ...params, count: String(count) } })).done;
    expect(resumed.restoredFrom!.id).toBeDefined();
    expect(readCommittedLines(out).sort()).toEqual(await expectedOutput('20000'));
    const restoredId = resumed.restoredFrom!.id!;
    const first = readdirSync(root).filter((d) => d.startsWith('chk-') && !before.has(d)).sort()[0];
    // Its files: the restored checkpoint's own, linked in, and the delta it wrote.
    expect(readdirSync(join(root, first)).filter((f) => f.endsWith(`.chk-${restoredId}.snapshot`)).length).toBeGreaterThan(0);
    expect(readdirSync(join(root, first)).filter((f) => f.endsWith(`.chk-${Number(first.slice(4))}.snapshot`)).length).toBeGreaterThan(0);
  });

  test('on the heap backend too', async () => {
    const { committed } = await runExactlyOnce({ stateBackend: 'heap', params: { rate: '40000' } });
    expect(committed).toEqual(await expectedOutput());
  });
});

describe('recovery', () => {
  test('a user function that throws: the job restarts from the last checkpoint and the output is exact', async () => {
    const { result, committed } = await runExactlyOnce({ params: { rate: '40000', faults: 'throw@6000' } });
    expect(committed).toEqual(await expectedOutput());
    expect(result.metrics.restarts).toHaveLength(1);
    expect(result.metrics.restarts![0].cause).toMatch(/injected failure \(throw/);
  });

  test('a worker thread that dies: the same', async () => {
    const { result, committed } = await runExactlyOnce({ params: { rate: '40000', faults: 'exit@4000' } });
    expect(committed).toEqual(await expectedOutput());
    expect(result.metrics.restarts![0].code).toBe('WEIR_WORKER_DIED');
  });

  test('several failures in one run, in micro-batch mode', async () => {
    const { result, committed, workDir } = await runExactlyOnce({ mode: 'micro-batch', microBatchIntervalMs: 20, params: { rate: '40000', faults: 'throw@2000,exit@5000,throw@8000' } });
    expect(committed).toEqual(await expectedOutput());
    expectFaultsFired(workDir, 3, result.metrics.restarts!.length);
  });

  test('micro-batch: a resumed run replays the epochs after its checkpoint as the offset log cut them, and fails clearly where the log and the source disagree', async () => {
    const workDir = newDir();
    const out = join(workDir, 'out');
    const offsets = join(workDir, 'offsets');
    // Epochs of 10 ms; the one checkpoint is a savepoint taken a quarter of the way, so the log
    // holds many epochs after it whatever the machine's speed.
    const options = { workDir, mode: 'micro-batch', microBatchIntervalMs: 10, checkpointIntervalMs: 600_000, restartStrategy: { kind: 'none' } } as const;
    // The resumed runs read as fast as they can: the rate only slows the failing run down, and
    // the epochs they replay are cut by the offset log, not by the clock.
    const params = { count: String(count), rate: '0', out, markers: workDir };
    // Fails for good once the test says so: after the savepoint and three more logged epochs
    // (10 s of input at 1 000 events/s per partition: the input does not run out before that).
    const failWhen = join(workDir, 'fail-now');
    const failing = await run(jobUrl('checkpointed-counts'), { ...options, params: { ...params, rate: '1000', failWhen } });
    const sourceRecords = () => failing.metrics().operators.find((o) => o.name === 'events')!.recordsOut;
    while (sourceRecords() < count / 4) await new Promise((r) => setTimeout(r, 10));
    const savepoint = await failing.savepoint('quarter');
    const after = savepoint.metadata.epoch!;
    const loggedAfter = () => new Set(readdirSync(offsets).map((f) => parseInt(f)).filter((epoch) => epoch > after)).size;
    while (loggedAfter() < 3) await new Promise((r) => setTimeout(r, 10));
    writeFileSync(failWhen, '');
    await expectWeirError(failing.done, 'WEIR_USER_FUNCTION', /always fails/);
    const logged = readdirSync(offsets).filter((f) => parseInt(f) > after);
    expect(logged.length).toBeGreaterThan(2);

    // An entry whose range the source cannot reproduce (one record less than it read): the resumed
    // run fails, naming the source and the epoch, and commits nothing.
    const first = logged.filter((f) => parseInt(f) === after + 1).find((f) => (JSON.parse(readFileSync(join(offsets, f), 'utf8')) as { ranges: Array<{ records: number }> }).ranges[0].records > 0)!;
    const original = readFileSync(join(offsets, first), 'utf8');
    const entry = JSON.parse(original) as { ranges: Array<{ records: number }> };
    entry.ranges[0].records -= 1;
    writeFileSync(join(offsets, first), JSON.stringify(entry));
    const committedBefore = readCommittedLines(out).length;
    await expectWeirError(
      run(jobUrl('checkpointed-counts'), { ...options, restoreFrom: 'quarter', params }).then((h) => h.done),
      'WEIR_STATE',
      new RegExp(`source "[^"]+" partition \\d+ cannot replay epoch ${after + 1} of the offset log`),
    );
    expect(readCommittedLines(out).length).toBe(committedBefore);

    // As logged: the epochs after the savepoint are replayed, numbered on from it, and the output
    // is exactly a failure-free run's.
    writeFileSync(join(offsets, first), original);
    const resumed = await (await run(jobUrl('checkpointed-counts'), { ...options, restoreFrom: 'quarter', params })).done;
    expect(resumed.restoredFrom!.replayedEpochs).toBe(new Set(logged.map((f) => parseInt(f))).size);
    expect(readCommittedLines(out).sort()).toEqual(await expectedOutput());
  });

  test('when the restart strategy gives up, the job fails with the last error', async () => {
    const err = await expectWeirError(
      runExactlyOnce({ restartStrategy: { kind: 'fixed-delay', attempts: 2, delayMs: 1 }, params: { alwaysFailAt: '3000' } }),
      'WEIR_USER_FUNCTION',
      /record 3000 always fails/,
    );
    expect(err.message).toMatch(/inject/);
  });

  test('a job resumes from its state directory: the latest checkpoint, or a savepoint', async () => {
    const workDir = newDir();
    const handle = await run(jobUrl('checkpointed-counts'), {
      workDir,
      checkpointIntervalMs: 20,
      params: { count: String(count), rate: '20000', out: join(workDir, 'out'), markers: workDir },
    });
    const sourceRecords = () => handle.metrics().operators.find((o) => o.name === 'events')!.recordsOut;
    while (sourceRecords() < count / 4) await new Promise((r) => setTimeout(r, 20));
    const savepoint = await handle.savepoint('halfway');
    expect(savepoint.metadata.kind).toBe('savepoint');
    await handle.done;
    expect(readCommittedLines(join(workDir, 'out')).sort()).toEqual(await expectedOutput());

    // Resumed at the end (the final checkpoint): nothing is read or written again.
    const again = await runExactlyOnce({}, workDir);
    expect(again.committed).toEqual(await expectedOutput());

    // From the savepoint into a fresh output directory: the records after it, with the state before it.
    const fromSavepoint = await (await run(jobUrl('checkpointed-counts'), { workDir: newDir(), stateDir: workDir, checkpointIntervalMs: 20, restoreFrom: 'halfway', params: { count: String(count) } })).done;
    // Its transactional sink is not in this run (collect instead): reported as dropped, not refused.
    expect(fromSavepoint.restoredFrom!.dropped).toEqual([{ kind: 'sink', uid: expect.stringMatching(/^transactional-file:/) }]);
    const tail = fromSavepoint.results.out as string[];
    expect(tail.length).toBeGreaterThan(0);
    expect(tail.length).toBeLessThan((await expectedOutput()).length);
    const expectedSet = new Set(await expectedOutput());
    for (const line of tail) expect(expectedSet.has(line)).toBe(true); // counts go on from the restored state
  });

  test('a damaged latest checkpoint is skipped for the previous one; when none is usable, the job fails with the reasons', async () => {
    const stateDir = newDir();
    await (await run(jobUrl('checkpointed-counts'), { workDir: newDir(), stateDir, checkpointIntervalMs: 20, checkpointsRetained: 2, params: { count: String(count), rate: '40000' } })).done;
    const checkpoints = readdirSync(join(stateDir, 'checkpoints')).filter((d) => d.startsWith('chk-')).sort();
    expect(checkpoints).toHaveLength(2);
    // Overwrite the state files the newest checkpoint wrote: their checksums no longer match. (Not
    // the files it shares with the one before — hard links to the same data: damage to those would
    // damage both, and the fallback would go further back.)
    const newest = join(stateDir, 'checkpoints', checkpoints[1]);
    const newestId = Number(checkpoints[1].slice('chk-'.length));
    const written = readdirSync(newest).filter((f) => f.endsWith(`.chk-${newestId}.snapshot`));
    expect(written.length).toBeGreaterThan(0);
    for (const file of written) writeFileSync(join(newest, file), 'garbage');
    const resumed = await (await run(jobUrl('checkpointed-counts'), { workDir: newDir(), stateDir, checkpointIntervalMs: 20, params: { count: String(count) } })).done;
    expect(resumed.restoredFrom!.dir).toBe(join(stateDir, 'checkpoints', checkpoints[0]));
    expect(resumed.restoredFrom!.skipped).toHaveLength(1);
    expect(resumed.restoredFrom!.skipped[0].reason).toMatch(/worker-\d\.chk-\d+\.snapshot/);

    // Now damage every checkpoint there is: half-written metadata in the oldest, garbage state in the others.
    const all = readdirSync(join(stateDir, 'checkpoints')).filter((d) => d.startsWith('chk-')).sort();
    writeFileSync(join(stateDir, 'checkpoints', all[0], '_metadata'), '{"half": ');
    for (const dir of all.slice(1)) {
      for (const file of readdirSync(join(stateDir, 'checkpoints', dir)).filter((f) => f.endsWith('.snapshot'))) writeFileSync(join(stateDir, 'checkpoints', dir, file), 'garbage');
    }
    await expectWeirError(run(jobUrl('checkpointed-counts'), { workDir: newDir(), stateDir, checkpointIntervalMs: 20, params: { count: String(count) } }), 'WEIR_STATE', /no usable checkpoint/);
  });
});
