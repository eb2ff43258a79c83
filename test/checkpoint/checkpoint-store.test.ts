// CheckpointStore on real files: atomic completion, fallback past damaged checkpoints with the
// reason, retention, savepoints, clean-up of what a crashed run leaves behind.
import { existsSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointStore, metadataFileName, type CheckpointMetadataDraft } from '../../src/checkpoint/index.ts';
import { sha256OfFile } from '../../src/util/durable-fs.ts';
import { WeirError } from '../../src/errors.ts';
import { expectWeirError, tempDir } from '../helpers.ts';

let dir: { path: string; remove(): void };
beforeEach(() => {
  dir = tempDir('weir-checkpoints-');
});
afterEach(() => dir.remove());

const checkpointsDir = () => join(dir.path, 'checkpoints');
const chkDir = (id: number) => join(checkpointsDir(), `chk-${String(id).padStart(12, '0')}`);

/** Begins, writes `workers` state files of distinct content, and completes checkpoint `id`. */
async function writeCheckpoint(store: CheckpointStore, id: number, opts: { workers?: number; savepointName?: string } = {}) {
  const workers = opts.workers ?? 2;
  const where = opts.savepointName === undefined ? await store.begin(id) : await store.beginSavepoint(opts.savepointName);
  const stateFiles = [];
  for (let w = 0; w < workers; w++) {
    const path = `worker-${w}.snapshot`;
    writeFileSync(join(where, path), `state of worker ${w} at checkpoint ${id} `.repeat(50 + w));
    stateFiles.push({ worker: w, path, ...(await sha256OfFile(join(where, path))) });
  }
  const draft: CheckpointMetadataDraft = {
    id,
    kind: opts.savepointName === undefined ? 'checkpoint' : 'savepoint',
    ...(opts.savepointName === undefined ? {} : { savepointName: opts.savepointName }),
    createdAtMs: 1_700_000_000_000 + id,
    jobName: 'orders',
    parallelism: workers,
    keyGroups: 128,
    sourcePositions: [
      { operatorUid: 'orders-source', partition: 0, position: { offset: id * 100 } },
      { operatorUid: 'orders-source', partition: 1, position: { offset: id * 100 + 7, file: 'a.log' } },
    ],
    stateFiles,
    sinkNotes: [{ sinkUid: 'out', subtask: 0, note: { transaction: `txn-${id}` } }],
  };
  return store.complete(draft);
}


describe('CheckpointStore', () => {
  it('completes a checkpoint and finds it again after reopening, with everything it recorded', async () => {
    const store = await CheckpointStore.open(dir.path);
    const written = await writeCheckpoint(store, 1);
    expect(readdirSync(chkDir(1)).sort()).toEqual([metadataFileName, 'worker-0.snapshot', 'worker-1.snapshot']);

    const reopened = await CheckpointStore.open(dir.path);
    const { checkpoint, skipped } = await reopened.latestValid();
    expect(skipped).toEqual([]);
    expect(checkpoint?.metadata).toEqual(written.metadata);
    expect(checkpoint?.metadata.sourcePositions[1].position).toEqual({ offset: 107, file: 'a.log' });
    expect(checkpoint?.metadata.sinkNotes[0].note).toEqual({ transaction: 'txn-1' });
    expect(checkpoint?.stateFiles.map((f) => f.absolutePath)).toEqual([join(chkDir(1), 'worker-0.snapshot'), join(chkDir(1), 'worker-1.snapshot')]);
    expect(await reopened.nextId()).toBe(2);
  });

  it('reports a fresh start (no checkpoint, nothing skipped) when none was ever completed', async () => {
    const store = await CheckpointStore.open(dir.path);
    expect(await store.latestValid()).toEqual({ checkpoint: undefined, skipped: [] });
    expect(await store.nextId()).toBe(0);
  });

  it('a crash between writing the temporary metadata and the rename leaves the previous checkpoint as the latest', async () => {
    const store = await CheckpointStore.open(dir.path);
    await writeCheckpoint(store, 1);
    // Checkpoint 2: state written, metadata written to its temporary name, then the process died.
    const where = await store.begin(2);
    writeFileSync(join(where, 'worker-0.snapshot'), 'new state');
    writeFileSync(join(where, metadataFileName + '.tmp'), readFileSync(join(chkDir(1), metadataFileName)));

    const inspector = await CheckpointStore.open(dir.path, { readOnly: true });
    const seen = await inspector.latestValid();
    expect(seen.checkpoint?.metadata.id).toBe(1);
    expect(seen.skipped).toEqual([{ id: 2, dir: chkDir(2), reason: expect.stringMatching(/never completed: only a temporary metadata file/) }]);

    const reopened = await CheckpointStore.open(dir.path);
    expect(reopened.removedAtOpen).toEqual(['chk-000000000002']);
    expect(existsSync(chkDir(2))).toBe(false);
    expect((await reopened.latestValid()).checkpoint?.metadata.id).toBe(1);
  });

  it('removes abandoned in-progress checkpoints and savepoints at open and never returns them', async () => {
    const store = await CheckpointStore.open(dir.path);
    await writeCheckpoint(store, 1);
    writeFileSync(join(await store.begin(2), 'worker-0.snapshot'), 'partial');
    await store.beginSavepoint('half-done');
    expect((await store.list()).map((l) => [l.id ?? l.savepointName, l.status])).toEqual([
      [1, 'complete'],
      [2, 'in-progress'],
      ['half-done', 'in-progress'],
    ]);
    // In-progress ones are invisible to latestValid while their writer runs.
    expect(await store.latestValid()).toMatchObject({ checkpoint: { metadata: { id: 1 } }, skipped: [] });

    const reopened = await CheckpointStore.open(dir.path);
    expect(reopened.removedAtOpen.sort()).toEqual(['chk-000000000002', 'savepoint-half-done']);
    expect(readdirSync(checkpointsDir())).toEqual(['chk-000000000001']);
    expect((await reopened.list()).map((l) => l.id)).toEqual([1]);
  });

  it('finishes removing a half-removed checkpoint (.deleting) at open', async () => {
    const store = await CheckpointStore.open(dir.path);
    await writeCheckpoint(store, 1);
    const halfRemoved = join(checkpointsDir(), 'chk-000000000000.deleting');
    mkdirSync(halfRemoved);
    writeFileSync(join(halfRemoved, 'worker-1.snapshot'), 'leftover');
    // Foreign entries in the directory are left alone.
    writeFileSync(join(checkpointsDir(), 'NOTES.txt'), 'mine');
    const reopened = await CheckpointStore.open(dir.path);
    expect(reopened.removedAtOpen).toEqual(['chk-000000000000.deleting']);
    expect(readdirSync(checkpointsDir()).sort()).toEqual(['NOTES.txt', 'chk-000000000001']);
  });

  it('removes a merged snapshot that no checkpoint had linked in yet (.merging) at open', async () => {
    const store = await CheckpointStore.open(dir.path);
    await writeCheckpoint(store, 1);
    writeFileSync(join(checkpointsDir(), 'worker-0.chk-1.merged.snapshot.merging'), 'half-merged');
    const reopened = await CheckpointStore.open(dir.path);
    expect(reopened.removedAtOpen).toEqual(['worker-0.chk-1.merged.snapshot.merging']);
    expect(readdirSync(checkpointsDir())).toEqual(['chk-000000000001']);
  });

  it('falls back past metadata with a flipped byte, naming the checksum mismatch', async () => {
    const store = await CheckpointStore.open(dir.path);
    await writeCheckpoint(store, 1);
    await writeCheckpoint(store, 2);
    const metadataPath = join(chkDir(2), metadataFileName);
    const bytes = readFileSync(metadataPath);
    const at = bytes.indexOf('"orders"') + 1;
    bytes[at] ^= 0x01; // "orders" → "nrders": still valid JSON, only the checksum can tell
    writeFileSync(metadataPath, bytes);

    const { checkpoint, skipped } = await (await CheckpointStore.open(dir.path)).latestValid();
    expect(checkpoint?.metadata.id).toBe(1);
    expect(skipped).toEqual([{ id: 2, dir: chkDir(2), reason: expect.stringMatching(/metadata checksum mismatch/) }]);
  });

  it('falls back past a checkpoint whose state file is missing', async () => {
    const store = await CheckpointStore.open(dir.path);
    await writeCheckpoint(store, 1);
    await writeCheckpoint(store, 2);
    await import('node:fs/promises').then((fs) => fs.rm(join(chkDir(2), 'worker-1.snapshot')));
    const { checkpoint, skipped } = await store.latestValid();
    expect(checkpoint?.metadata.id).toBe(1);
    expect(skipped[0].reason).toBe('state file worker-1.snapshot (worker 1) is missing');
  });

  it('falls back past a truncated state file and past one changed in place (same size)', async () => {
    const store = await CheckpointStore.open(dir.path);
    await writeCheckpoint(store, 1);
    await writeCheckpoint(store, 2);
    await writeCheckpoint(store, 3);
    truncateSync(join(chkDir(3), 'worker-0.snapshot'), 10);
    const file = join(chkDir(2), 'worker-1.snapshot');
    const bytes = readFileSync(file);
    bytes[bytes.length - 3] ^= 0xff;
    writeFileSync(file, bytes);

    const { checkpoint, skipped } = await store.latestValid();
    expect(checkpoint?.metadata.id).toBe(1);
    expect(skipped.map((s) => s.id)).toEqual([3, 2]);
    expect(skipped[0].reason).toMatch(/worker-0\.snapshot \(worker 0\) has 10 bytes, the metadata says \d+ \(truncated or overwritten\)/);
    expect(skipped[1].reason).toMatch(/worker-1\.snapshot \(worker 1\) checksum mismatch/);
  });

  it('falls back past half-written (truncated) and empty metadata', async () => {
    const store = await CheckpointStore.open(dir.path);
    await writeCheckpoint(store, 1);
    await writeCheckpoint(store, 2);
    await writeCheckpoint(store, 3);
    const m3 = join(chkDir(3), metadataFileName);
    truncateSync(m3, Math.floor(readFileSync(m3).length / 2));
    truncateSync(join(chkDir(2), metadataFileName), 0);

    const { checkpoint, skipped } = await (await CheckpointStore.open(dir.path)).latestValid();
    expect(checkpoint?.metadata.id).toBe(1);
    expect(skipped.map((s) => [s.id, s.reason])).toEqual([
      [3, expect.stringMatching(/the metadata is truncated: \d+ of \d+ bytes/)],
      [2, expect.stringMatching(/the metadata file is empty/)],
    ]);
  });

  it('tells a foreign file, a cut-off header and metadata copied from another checkpoint apart', async () => {
    const store = await CheckpointStore.open(dir.path, { retained: 10 });
    for (const id of [1, 2, 3, 4]) await writeCheckpoint(store, id);
    writeFileSync(join(chkDir(4), metadataFileName), '{"id": 4, "kind": "checkpoint"}\n');
    writeFileSync(join(chkDir(3), metadataFileName), 'weir-checkpoint-metadata v1 bytes=12');
    writeFileSync(join(chkDir(2), metadataFileName), readFileSync(join(chkDir(1), metadataFileName)));

    const { checkpoint, skipped } = await store.latestValid();
    expect(checkpoint?.metadata.id).toBe(1);
    expect(skipped.map((s) => s.reason)).toEqual([
      expect.stringMatching(/not a weir checkpoint metadata file/),
      'the metadata header is cut off (written halfway?)',
      'the metadata describes checkpoint 1, not checkpoint 2 (copied from elsewhere?)',
    ]);
  });

  it('falls back two levels when the two newest are damaged', async () => {
    const store = await CheckpointStore.open(dir.path);
    await writeCheckpoint(store, 5);
    await writeCheckpoint(store, 6);
    await writeCheckpoint(store, 7);
    truncateSync(join(chkDir(7), 'worker-1.snapshot'), 0);
    await import('node:fs/promises').then((fs) => fs.rm(join(chkDir(6), metadataFileName)));
    writeFileSync(join(chkDir(6), metadataFileName + '.tmp'), 'x');

    const { checkpoint, skipped } = await store.latestValid();
    expect(checkpoint?.metadata.id).toBe(5);
    expect(checkpoint?.metadata.sourcePositions[0].position).toEqual({ offset: 500 });
    expect(skipped.map((s) => s.id)).toEqual([7, 6]);
  });

  it('throws a clear WEIR_STATE error listing every reason when checkpoints exist but none is usable', async () => {
    const store = await CheckpointStore.open(dir.path);
    await writeCheckpoint(store, 1);
    await writeCheckpoint(store, 2);
    truncateSync(join(chkDir(1), 'worker-0.snapshot'), 1);
    writeFileSync(join(chkDir(2), metadataFileName), 'garbage');

    const err = await expectWeirError(store.latestValid(), 'WEIR_STATE', /no usable checkpoint in .*every completed one is damaged/);
    expect(err.message).toMatch(/checkpoint 2: not a weir checkpoint metadata file/);
    expect(err.message).toMatch(/checkpoint 1: state file worker-0\.snapshot \(worker 0\) has 1 bytes/);
    await expectWeirError(store.resolve('latest'), 'WEIR_STATE', /no usable checkpoint/);
  });

  it('keeps the last K completed checkpoints and never deletes savepoints', async () => {
    const store = await CheckpointStore.open(dir.path, { retained: 2 });
    await writeCheckpoint(store, 1);
    await writeCheckpoint(store, 2, { savepointName: 'before-upgrade' });
    await writeCheckpoint(store, 3);
    expect(readdirSync(checkpointsDir()).sort()).toEqual(['chk-000000000001', 'chk-000000000003', 'savepoint-before-upgrade']);
    await writeCheckpoint(store, 4);
    expect(readdirSync(checkpointsDir()).sort()).toEqual(['chk-000000000003', 'chk-000000000004', 'savepoint-before-upgrade']);
    // An in-progress checkpoint does not count, and nothing is deleted until it completes.
    await store.begin(5);
    expect(existsSync(chkDir(3))).toBe(true);
    await writeCheckpoint(store, 6);
    expect(readdirSync(checkpointsDir()).sort()).toEqual(['chk-000000000004', 'chk-000000000005', 'chk-000000000006', 'savepoint-before-upgrade']);
    expect((await store.list()).map((l) => [l.kind, l.id, l.status])).toEqual([
      ['savepoint', 2, 'complete'],
      ['checkpoint', 4, 'complete'],
      ['checkpoint', 5, 'in-progress'],
      ['checkpoint', 6, 'complete'],
    ]);
  });

  it('uses the default retention from limits (3)', async () => {
    const store = await CheckpointStore.open(dir.path);
    for (let id = 1; id <= 5; id++) await writeCheckpoint(store, id, { workers: 1 });
    expect((await store.list()).map((l) => l.id)).toEqual([3, 4, 5]);
  });

  it('latestValid ignores savepoints; resolve finds a savepoint by name, a checkpoint by id, and either by path', async () => {
    const store = await CheckpointStore.open(dir.path);
    await writeCheckpoint(store, 1);
    await writeCheckpoint(store, 2, { savepointName: 'v1' });
    expect((await store.latestValid()).checkpoint?.metadata.id).toBe(1);

    const byName = await store.resolve('v1');
    expect(byName.metadata).toMatchObject({ kind: 'savepoint', savepointName: 'v1', id: 2 });
    expect((await store.resolve(1)).metadata.id).toBe(1);
    expect((await store.resolve('1')).metadata.id).toBe(1);
    expect((await store.resolve('latest')).metadata.id).toBe(1);
    // Another job's savepoint, by its directory or its metadata file.
    expect((await store.resolve(byName.dir)).metadata.savepointName).toBe('v1');
    expect((await store.resolve(join(chkDir(1), metadataFileName))).metadata.id).toBe(1);

    await expectWeirError(store.resolve('nope'), 'WEIR_CONFIG', /no savepoint named "nope"/);
    await expectWeirError(store.resolve(9), 'WEIR_CONFIG', /no checkpoint 9/);
    truncateSync(join(byName.dir, 'worker-0.snapshot'), 3);
    await expectWeirError(store.resolve('v1'), 'WEIR_STATE', /cannot use the checkpoint at .*savepoint-v1: state file worker-0\.snapshot/);
  });

  it('deletes checkpoints and savepoints on request, crash-safely, and refuses unknown ones', async () => {
    const store = await CheckpointStore.open(dir.path);
    await writeCheckpoint(store, 1);
    await writeCheckpoint(store, 2, { savepointName: 'keep-me' });
    await store.delete('keep-me');
    await store.delete(1);
    expect(readdirSync(checkpointsDir())).toEqual([]);
    await expectWeirError(store.delete('keep-me'), 'WEIR_CONFIG', /no checkpoint or savepoint "keep-me"/);
    await expectWeirError(store.delete('../etc'), 'WEIR_CONFIG', /savepoint name/);
  });

  it('aborts a begun checkpoint, removing its directory', async () => {
    const store = await CheckpointStore.open(dir.path);
    writeFileSync(join(await store.begin(1), 'worker-0.snapshot'), 'x');
    await store.abort(1);
    expect(readdirSync(checkpointsDir())).toEqual([]);
    await expectWeirError(store.abort(1), 'WEIR_CONFIG', /not in progress/);
  });

  it('refuses ids that do not grow, duplicate savepoints, and bad metadata at complete', async () => {
    const store = await CheckpointStore.open(dir.path);
    await writeCheckpoint(store, 3);
    await expectWeirError(store.begin(3), 'WEIR_INTERNAL', /invariant failed: checkpoint id 3 is not larger than the latest one here \(3\)/);
    await expectWeirError(store.begin(2), 'WEIR_INTERNAL', /ids must grow/);
    await writeCheckpoint(store, 4, { savepointName: 'sp' });
    await expectWeirError(store.beginSavepoint('sp'), 'WEIR_CONFIG', /savepoint "sp" already exists/);
    await expectWeirError(store.beginSavepoint('latest'), 'WEIR_CONFIG', /not "latest"/);
    expect(await store.nextId()).toBe(5);

    const where = await store.begin(5);
    writeFileSync(join(where, 'w0'), 'abc');
    const base = { id: 5, kind: 'checkpoint' as const, createdAtMs: 1, jobName: 'j', parallelism: 1, keyGroups: 8, sourcePositions: [], sinkNotes: [] };
    const sha256 = 'a'.repeat(64);
    await expectWeirError(store.complete({ ...base, stateFiles: [{ worker: 0, path: '../w0', bytes: 3, sha256 }] }), 'WEIR_CONFIG', /must not contain empty, "\." or "\.\." parts/);
    await expectWeirError(store.complete({ ...base, stateFiles: [{ worker: 0, path: 'w0', bytes: 4, sha256 }] }), 'WEIR_STATE', /state file w0 has 3 bytes, the metadata says 4/);
    await expectWeirError(store.complete({ ...base, stateFiles: [{ worker: 0, path: 'w1', bytes: 3, sha256 }] }), 'WEIR_STATE', /state file w1 does not exist/);
    await expectWeirError(store.complete({ ...base, parallelism: 0, stateFiles: [] }), 'WEIR_CONFIG', /parallelism must be an integer ≥ 1/);
    await expectWeirError(
      store.complete({ ...base, stateFiles: [], sourcePositions: [{ operatorUid: 's', partition: 0, position: { at: new Date() } as never }] }),
      'WEIR_CONFIG',
      /sourcePositions\[0\]\.position\.at must be JSON/,
    );
    await expectWeirError(store.complete({ ...base, id: 6, stateFiles: [] }), 'WEIR_CONFIG', /checkpoint 6 was not begun by this store/);
    // Still completable once the metadata is right.
    await store.complete({ ...base, stateFiles: [{ worker: 0, path: 'w0', ...(await sha256OfFile(join(where, 'w0'))) }] });
    expect((await store.latestValid()).checkpoint?.metadata.id).toBe(5);
  });

  it('a read-only store changes nothing', async () => {
    const store = await CheckpointStore.open(dir.path);
    await writeCheckpoint(store, 1);
    await store.begin(2);
    const readOnly = await CheckpointStore.open(dir.path, { readOnly: true });
    expect(readOnly.removedAtOpen).toEqual([]);
    expect(existsSync(chkDir(2))).toBe(true);
    await expectWeirError(readOnly.begin(3), 'WEIR_CONFIG', /opened read-only/);
    await expectWeirError(readOnly.delete(1), 'WEIR_CONFIG', /opened read-only/);
    expect((await readOnly.latestValid()).checkpoint?.metadata.id).toBe(1);
  });

  it('serialises concurrent completions: retention never deletes the newest', async () => {
    const store = await CheckpointStore.open(dir.path, { retained: 1 });
    await Promise.all([1, 2, 3, 4].map((id) => writeCheckpoint(store, id, { workers: 1 })));
    expect((await store.list()).map((l) => l.id)).toEqual([4]);
    expect((await store.latestValid()).checkpoint?.metadata.id).toBe(4);
  });
});
