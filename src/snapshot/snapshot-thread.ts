// The thread that writes a worker's LMDB snapshots (lmdb-snapshotter.ts is the worker's side).
import { copyFile, link, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Doorbells, type DoorbellAddress } from '../channel/doorbell.ts';
import { toPlainError } from '../errors.ts';
import { limits } from '../limits.ts';
import { latestChanges, type LatestChanges, type TakenChanges } from '../state/change-log.ts';
import { mergingSuffix } from '../checkpoint/checkpoint-layout.ts';
import { announce, handshake, waitWhile } from './snapshot-handshake.ts';
import { SnapshotChain, type ChainFile } from './snapshot-chain.ts';
import { mergeSnapshotChain, MergeCancelled } from './snapshot-merge.ts';
import { deltaContents, pinLmdbView, writeDeltaFile, writePinnedView, type PinnedLmdbView } from './state-snapshot.ts';
import { nameThisThread } from '../util/thread-name.ts';

export interface SnapshotThreadData {
  /** Replies go here; the worker reads them with receiveMessageOnPort, without an event-loop turn. */
  replies: MessagePort;
  /** Int32 [0]: replies posted so far. Bumped after each reply, before ringing the worker. */
  posted: SharedArrayBuffer;
  /** The worker's doorbell: a parked worker wakes to take the reply. */
  worker: DoorbellAddress;
}

export interface SnapshotRequest {
  id: number;
  /** The LMDB environment. */
  path: string;
  /** The checkpoint directory, and the name of the file this snapshot writes into it. */
  dir: string;
  name: string;
  /** What changed since the previous request, values included (undefined: unknown, take a full snapshot). */
  changes: TakenChanges | undefined;
  /** Int32 [0]: the handshake word (snapshot-handshake.ts). */
  pinned: SharedArrayBuffer;
}

/** The worker's store was restored from exactly these files: they start the chain. */
export interface BuildOn {
  type: 'build-on';
  files: ChainFile[];
}

/** One file of a worker's state in a checkpoint directory. */
export interface SnapshotFile {
  name: string;
  bytes: number;
  sha256: string;
}

export type SnapshotReply =
  | { id: number; ok: true; files: SnapshotFile[]; writtenBytes: number; entries: number; delta: boolean; merged: boolean }
  | { id: number; ok: false; error: ReturnType<typeof toPlainError> };

const { replies, posted, worker } = workerData as SnapshotThreadData;
nameThisThread(`snapshot thread of worker ${worker}`);
const postedCount = new Int32Array(posted);
const { doorbells, id: workerId } = Doorbells.at(worker);

function reply(message: SnapshotReply): void {
  replies.postMessage(message);
  // After the post: a worker that sees the count also finds the message on its port.
  Atomics.add(postedCount, 0, 1);
  doorbells.ring(workerId);
}

/**
 * Incremental snapshots. The state as of the last snapshot is `chain` (snapshot-chain.ts): a full
 * snapshot, then the deltas after it. A delta writes only the changed keys and hard-links the
 * chain's files into the new checkpoint directory, so every checkpoint directory stays whole on
 * its own: retention deletes old ones as before, a savepoint copies one directory, and a link keeps
 * a file's data alive as long as any checkpoint names it. Any failure forgets the chain: the next
 * snapshot is full.
 *
 * A chain that has grown long is merged into a new full snapshot from its files, in the
 * background and at a fraction of a core (snapshot-merge.ts), while deltas go on. The merged file
 * waits in the checkpoints directory under a `.merging` name until the next delta links it into its
 * checkpoint in place of the files it merged (CheckpointStore removes one left by a crash, or by a worker that died, at open and at a restart).
 */
const chain = new SnapshotChain();
/** A merge is running; or one has finished and waits for the next delta to take its base. */
let merging = false;
let mergedBase: { generation: number; count: number; file: ChainFile } | undefined;

let inFlight = 0;
let closing = false;
let exiting = false;
/** Ends the thread once no snapshot is being written or merged: never torn down inside an LMDB call. */
const exitWhenIdle = () => {
  if (!closing || inFlight > 0 || merging || exiting) return;
  exiting = true;
  void removeWaitingBases().finally(() => {
    replies.close();
    parentPort!.close();
  });
};

parentPort!.on('message', (request: SnapshotRequest | BuildOn | 'close') => {
  if (request === 'close') {
    closing = true;
    exitWhenIdle();
    return;
  }
  if ('type' in request) {
    replaceChain(request.files);
    return;
  }
  const flag = new Int32Array(request.pinned);
  // Only here, between snapshots: a delta being written extends the chain it started on.
  const merged = request.changes !== undefined && inFlight === 0 && takeMergedBase();
  // A snapshot still being written has not joined the chain yet: a delta now would miss its keys.
  // Decided on the log's length (keys logged twice counted twice), so the worker, waiting for the
  // answer, is not kept waiting while the log is de-duplicated.
  const asDelta = request.changes !== undefined && inFlight === 0 && chain.canTakeDelta(request.changes.count, request.name);
  // A delta is made from the change log alone; a full snapshot reads a view of LMDB at the cut,
  // once the worker has written its dirty cache into LMDB (snapshot-handshake.ts).
  let view: PinnedLmdbView | undefined;
  if (!asDelta) {
    announce(flag, handshake.flushFirst);
    waitWhile(flag, handshake.flushFirst, limits.snapshotPinTimeoutMs);
    // The worker's flush failed, or it gave up waiting: it rejected the request itself.
    if (Atomics.load(flag, 0) !== handshake.flushed) return;
    try {
      view = pinLmdbView(request.path);
    } catch (err) {
      announce(flag, handshake.failed);
      reply({ id: request.id, ok: false, error: toPlainError(err) });
      return;
    }
  }
  // The view (if any) is fixed: the worker may write to LMDB again.
  announce(flag, handshake.goOn);
  inFlight++;
  (asDelta ? writeDelta(latestChanges(request.changes!), request, merged) : writeFull(view!, request))
    .then(
      (r) => reply({ id: request.id, ok: true, ...r }),
      (err: unknown) => {
        replaceChain([]);
        reply({ id: request.id, ok: false, error: toPlainError(err) });
      },
    )
    .finally(() => {
      inFlight--;
      if (!closing && !merging && !mergedBase && chain.wantsMerge()) startMerge(request);
      exitWhenIdle();
    });
});

async function writeFull(view: PinnedLmdbView, request: SnapshotRequest) {
  replaceChain([]);
  const generation = chain.generation;
  const r = await writePinnedView(view, join(request.dir, request.name), { yieldBetweenChunks: false });
  const file = { name: request.name, bytes: r.bytes, sha256: r.sha256 };
  if (chain.generation === generation) replaceChain([{ ...file, absolutePath: join(request.dir, request.name), keys: r.entries }]);
  return { files: [file], writtenBytes: r.bytes, entries: r.entries, delta: false, merged: false };
}

async function writeDelta(changes: LatestChanges, request: SnapshotRequest, merged: boolean) {
  const contents = deltaContents(changes);
  const generation = chain.generation;
  const waiting = chain.files[0]?.absolutePath;
  const linked: ChainFile[] = [];
  for (const file of chain.files) {
    const to = join(request.dir, file.name);
    await link(file.absolutePath, to).catch(() => copyFile(file.absolutePath, to)); // a file system without hard links
    linked.push({ ...file, absolutePath: to });
  }
  const r = await writeDeltaFile(contents, join(request.dir, request.name));
  const file = { name: request.name, bytes: r.bytes, sha256: r.sha256 };
  if (chain.generation === generation) {
    chain.extend(linked, { ...file, absolutePath: join(request.dir, request.name), keys: changes.keys.size });
    // A merged base now lives in this checkpoint's directory: its waiting name can go.
    if (waiting?.endsWith(mergingSuffix)) await rm(waiting, { force: true });
  }
  return { files: [...linked, file].map(({ name, bytes, sha256 }) => ({ name, bytes, sha256 })), writtenBytes: r.bytes, entries: r.entries + r.deletes, delta: true, merged };
}

/**
 * Merges the chain as it is now into `<checkpoints>/<worker>.chk-<id>.merged.snapshot.merging`,
 * resting between its steps; the next delta takes the result.
 */
function startMerge(after: SnapshotRequest): void {
  const files = chain.files.slice();
  const generation = chain.generation;
  const name = `${after.name.replace(/\.snapshot$/, '')}.merged.snapshot`;
  const path = join(dirname(after.dir), name + mergingSuffix);
  // The chain this merge was begun on is gone, or the thread is ending: the merge is of no use.
  const stale = () => closing || chain.generation !== generation;
  merging = true;
  mergeSnapshotChain(
    files.map((f) => f.absolutePath),
    path,
    {
      rest: (workedMs) => sleep(workedMs * limits.snapshotMergeRestRatio),
      cancelled: stale,
    },
  )
    .then(
      async (r) => {
        const file: ChainFile = { name, bytes: r.bytes, sha256: r.sha256, absolutePath: path, keys: r.entries };
        if (stale()) await rm(path, { force: true });
        else mergedBase = { generation, count: files.length, file };
      },
      (err: unknown) => {
        // A chain that could not be merged cannot be kept short: the next snapshot is full.
        if (!(err instanceof MergeCancelled) && chain.generation === generation) replaceChain([]);
      },
    )
    .finally(() => {
      merging = false;
      exitWhenIdle();
    });
}

/** A finished merge's base takes the place of the files it merged: true when it did. */
function takeMergedBase(): boolean {
  if (!mergedBase) return false;
  const { generation, count, file } = mergedBase;
  mergedBase = undefined;
  if (chain.rebase(generation, count, file)) return true;
  void rm(file.absolutePath, { force: true });
  return false;
}

/** The chain is now `files`; a merged base not linked into any checkpoint yet goes with the old one. */
function replaceChain(files: ChainFile[]): void {
  void removeWaitingBases();
  chain.replace(files);
}

function removeWaitingBases(): Promise<unknown> {
  const waiting = [mergedBase?.file.absolutePath, chain.files[0]?.absolutePath].filter((p) => p?.endsWith(mergingSuffix));
  mergedBase = undefined;
  return Promise.all(waiting.map((p) => rm(p!, { force: true })));
}

parentPort!.postMessage('ready');
