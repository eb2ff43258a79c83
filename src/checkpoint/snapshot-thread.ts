// The thread that writes a worker's LMDB snapshots (lmdb-snapshotter.ts is the worker's side).
import { copyFile, link } from 'node:fs/promises';
import { join } from 'node:path';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Doorbells, type DoorbellAddress } from '../channel/doorbell.ts';
import { toPlainError } from '../errors.ts';
import { limits } from '../limits.ts';
import { changedKeys, type ChangedKey, type TakenChanges } from '../state/change-log.ts';
import { pinLmdbView, readPinnedDelta, writeDeltaFile, writePinnedView, type PinnedLmdbView } from './state-snapshot.ts';

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
  /** Keys changed since the previous request (undefined: unknown, take a full snapshot). */
  changes: TakenChanges | undefined;
  /** Int32 [0]: 0 while pinning, 1 once the read transaction is open, 2 if it could not be. */
  pinned: SharedArrayBuffer;
}

/** The worker's store was restored from exactly these files: they start the chain. */
export interface BuildOn {
  type: 'build-on';
  files: Array<SnapshotFile & { absolutePath: string }>;
  /** Entries of the chain's full snapshot, and keys its deltas wrote or deleted. */
  fullEntries: number;
  deltaKeys: number;
}

/** One file of a worker's state in a checkpoint directory. */
export interface SnapshotFile {
  name: string;
  bytes: number;
  sha256: string;
}

export type SnapshotReply =
  | { id: number; ok: true; files: SnapshotFile[]; writtenBytes: number; entries: number; delta: boolean }
  | { id: number; ok: false; error: ReturnType<typeof toPlainError> };

const { replies, posted, worker } = workerData as SnapshotThreadData;
const postedCount = new Int32Array(posted);
const { doorbells, id: workerId } = Doorbells.at(worker);

function reply(message: SnapshotReply): void {
  replies.postMessage(message);
  // After the post: a worker that sees the count also finds the message on its port.
  Atomics.add(postedCount, 0, 1);
  doorbells.ring(workerId);
}

/**
 * Incremental snapshots. The state as of the last snapshot is `chain`: a full snapshot, then the
 * deltas after it, each with where it is now (the directory of the last checkpoint). A delta
 * writes only the changed keys and hard-links the chain's files into the new checkpoint
 * directory, so every checkpoint directory stays whole on its own: retention deletes old ones as
 * before, a savepoint copies one directory, and a link keeps a file's data alive as long as any
 * checkpoint names it. Any failure forgets the chain: the next snapshot is full.
 */
interface ChainFile extends SnapshotFile {
  absolutePath: string;
}
let chain: ChainFile[] = [];
/** Entries of the chain's full snapshot, and keys its deltas wrote. */
let fullEntries = 0;
let deltaKeys = 0;

let inFlight = 0;
let closing = false;
/** Ends the thread once no snapshot is being written: never torn down inside an LMDB call. */
const exitWhenIdle = () => {
  if (closing && inFlight === 0) {
    replies.close();
    parentPort!.close();
  }
};

parentPort!.on('message', (request: SnapshotRequest | BuildOn | 'close') => {
  if (request === 'close') {
    closing = true;
    exitWhenIdle();
    return;
  }
  if ('type' in request) {
    ({ files: chain, fullEntries, deltaKeys } = request);
    return;
  }
  const flag = new Int32Array(request.pinned);
  let view: PinnedLmdbView;
  try {
    view = pinLmdbView(request.path);
  } catch (err) {
    Atomics.store(flag, 0, 2);
    Atomics.notify(flag, 0);
    reply({ id: request.id, ok: false, error: toPlainError(err) });
    return;
  }
  // The view is fixed: the worker may write to LMDB again.
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  // A snapshot still being written has not joined the chain yet: a delta now would miss its keys.
  const keys = request.changes && inFlight === 0 && chain.length > 0 && chain.length <= limits.snapshotDeltasMax ? changedKeys(request.changes) : undefined;
  // A chain restored from another state directory may hold a file of this very name (ids start anew there).
  const asDelta = keys !== undefined && deltaKeys + keys.length <= fullEntries / 2 && !chain.some((f) => f.name === request.name);
  inFlight++;
  (asDelta ? writeDelta(view, keys, request) : writeFull(view, request))
    .then(
      (r) => reply({ id: request.id, ok: true, ...r }),
      (err: unknown) => {
        chain = [];
        reply({ id: request.id, ok: false, error: toPlainError(err) });
      },
    )
    .finally(() => {
      inFlight--;
      exitWhenIdle();
    });
});

async function writeFull(view: PinnedLmdbView, request: SnapshotRequest) {
  chain = [];
  const r = await writePinnedView(view, join(request.dir, request.name), { yieldBetweenChunks: false });
  const file = { name: request.name, bytes: r.bytes, sha256: r.sha256 };
  chain = [{ ...file, absolutePath: join(request.dir, request.name) }];
  fullEntries = r.entries;
  deltaKeys = 0;
  return { files: [file], writtenBytes: r.bytes, entries: r.entries, delta: false };
}

async function writeDelta(view: PinnedLmdbView, keys: ChangedKey[], request: SnapshotRequest) {
  // Read first: the view is released before any file is linked or written (readPinnedDelta says why).
  const contents = await readPinnedDelta(view, keys);
  const linked: ChainFile[] = [];
  for (const file of chain) {
    const to = join(request.dir, file.name);
    await link(file.absolutePath, to).catch(() => copyFile(file.absolutePath, to)); // a file system without hard links
    linked.push({ ...file, absolutePath: to });
  }
  const r = await writeDeltaFile(contents, join(request.dir, request.name));
  const file = { name: request.name, bytes: r.bytes, sha256: r.sha256 };
  chain = [...linked, { ...file, absolutePath: join(request.dir, request.name) }];
  deltaKeys += keys.length;
  return { files: chain.map(({ name, bytes, sha256 }) => ({ name, bytes, sha256 })), writtenBytes: r.bytes, entries: r.entries + r.deletes, delta: true };
}

parentPort!.postMessage('ready');
