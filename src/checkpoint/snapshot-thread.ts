// The thread that writes a worker's LMDB snapshots (lmdb-snapshotter.ts is the worker's side).
import { parentPort } from 'node:worker_threads';
import { toPlainError } from '../errors.ts';
import { pinLmdbView, writePinnedView, type PinnedLmdbView } from './state-snapshot.ts';

export interface SnapshotRequest {
  id: number;
  path: string;
  file: string;
  /** Int32 [0]: 0 while pinning, 1 once the read transaction is open, 2 if it could not be. */
  pinned: SharedArrayBuffer;
}

export type SnapshotReply = { id: number; ok: true; bytes: number; sha256: string; entries: number } | { id: number; ok: false; error: ReturnType<typeof toPlainError> };

let inFlight = 0;
let closing = false;
/** Ends the thread once no snapshot is being written: never torn down inside an LMDB call. */
const exitWhenIdle = () => {
  if (closing && inFlight === 0) parentPort!.close();
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
    parentPort!.postMessage({ id: request.id, ok: false, error: toPlainError(err) } satisfies SnapshotReply);
    return;
  }
  // The view is fixed: the worker may write to LMDB again.
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  inFlight++;
  writePinnedView(view, request.file, { yieldBetweenChunks: false })
    .then(
      (r) => parentPort!.postMessage({ id: request.id, ok: true, bytes: r.bytes, sha256: r.sha256, entries: r.entries } satisfies SnapshotReply),
      (err: unknown) => parentPort!.postMessage({ id: request.id, ok: false, error: toPlainError(err) } satisfies SnapshotReply),
    )
    .finally(() => {
      inFlight--;
      exitWhenIdle();
    });
});
parentPort!.postMessage('ready');
