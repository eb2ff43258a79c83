// The thread that writes a worker's LMDB snapshots (lmdb-snapshotter.ts is the worker's side).
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Doorbells, type DoorbellAddress } from '../channel/doorbell.ts';
import { toPlainError } from '../errors.ts';
import { limits } from '../limits.ts';
import { pinLmdbView, writePinnedView, type PinnedLmdbView } from './state-snapshot.ts';

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
  path: string;
  file: string;
  /** Int32 [0]: 0 while pinning, 1 once the read transaction is open, 2 if it could not be. */
  pinned: SharedArrayBuffer;
}

export type SnapshotReply = { id: number; ok: true; bytes: number; sha256: string; entries: number } | { id: number; ok: false; error: ReturnType<typeof toPlainError> };

const { replies, posted, worker } = workerData as SnapshotThreadData;
const postedCount = new Int32Array(posted);
const { doorbells, id: workerId } = Doorbells.at(worker);

/**
 * Copying a snapshot is background work: on a machine with as many busy threads as cores it would
 * take CPU time from the worker mid-record. A lower priority (Linux: nice applies per thread; the
 * thread's id is the last part of /proc/thread-self) lets the worker run whenever it is runnable.
 * Best effort: elsewhere, or without permission, the thread keeps the process's priority.
 */
function lowerOwnPriority(): void {
  try {
    setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), limits.snapshotThreadNice);
  } catch {
    // not Linux, or not allowed: same priority as the worker
  }
}

function reply(message: SnapshotReply): void {
  replies.postMessage(message);
  // After the post: a worker that sees the count also finds the message on its port.
  Atomics.add(postedCount, 0, 1);
  doorbells.ring(workerId);
}

let inFlight = 0;
let closing = false;
/** Ends the thread once no snapshot is being written: never torn down inside an LMDB call. */
const exitWhenIdle = () => {
  if (closing && inFlight === 0) {
    replies.close();
    parentPort!.close();
  }
};

parentPort!.on('message', (request: SnapshotRequest | 'close') => {
  if (request === 'close') {
    closing = true;
    exitWhenIdle();
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
  inFlight++;
  writePinnedView(view, request.file, { yieldBetweenChunks: false })
    .then(
      (r) => reply({ id: request.id, ok: true, bytes: r.bytes, sha256: r.sha256, entries: r.entries }),
      (err: unknown) => reply({ id: request.id, ok: false, error: toPlainError(err) }),
    )
    .finally(() => {
      inFlight--;
      exitWhenIdle();
    });
});
lowerOwnPriority();
parentPort!.postMessage('ready');
