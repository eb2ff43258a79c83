import type { Worker } from 'node:worker_threads';
import { fromPlainError, WeirError } from '../errors.ts';
import type { LmdbStore } from '../state/lmdb-store.ts';
import { startTsWorker } from '../util/ts-worker.ts';
import type { SnapshotReply, SnapshotRequest } from './snapshot-thread.ts';
import { snapshotLmdbStore } from './state-snapshot.ts';

/** How long a worker waits for the snapshot thread to open its read transaction before giving up. */
const pinTimeoutMs = 10_000;

/**
 * Writes a worker's LMDB snapshots on a thread of their own, so that copying a large state out
 * (1 M keys: about a second) runs on another core instead of between the worker's rounds.
 *
 * Consistency: the worker flushes its write-back cache into LMDB, hands the path to the thread
 * and waits (Atomics.wait, typically well under a millisecond) until the thread has opened its
 * read transaction — the view at the barrier — before it writes to LMDB again. LMDB readers never
 * block writers, so the worker then goes on while the thread copies the pinned view out.
 * lmdb-js shares one environment per path within a process, so both threads see the same data.
 *
 * Until the thread has started (module loading takes a few hundred ms), snapshots are taken on the
 * worker's own thread as before.
 */
export class LmdbSnapshotter {
  private readonly thread: Worker;
  private ready = false;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(r: { bytes: number; sha256: string }): void; reject(e: unknown): void }>();

  constructor() {
    this.thread = startTsWorker(new URL('./snapshot-thread.ts', import.meta.url));
    this.thread.unref();
    this.thread.on('message', (m: SnapshotReply | 'ready') => {
      if (m === 'ready') {
        this.ready = true;
        return;
      }
      const waiting = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.ok) waiting?.resolve(m);
      else waiting?.reject(fromPlainError(m.error));
    });
    this.thread.on('error', (err) => this.failAll(err));
    this.thread.on('exit', (code) => this.failAll(new WeirError('WEIR_STATE', `the snapshot thread exited (code ${code})`)));
  }

  /** Snapshots `store` to `file` as of the call; the returned promise settles once the file is written. */
  snapshot(store: LmdbStore, file: string): Promise<{ bytes: number; sha256: string }> {
    if (!this.ready) return snapshotLmdbStore(store, file);
    store.flush();
    const id = this.nextId++;
    const pinned = new SharedArrayBuffer(4);
    const flag = new Int32Array(pinned);
    const done = new Promise<{ bytes: number; sha256: string }>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.thread.postMessage({ id, path: store.path, file, pinned } satisfies SnapshotRequest);
    // Nothing may reach LMDB before the thread's read transaction is open: wait for it here.
    if (Atomics.wait(flag, 0, 0, pinTimeoutMs) === 'timed-out') {
      this.pending.delete(id);
      return Promise.reject(new WeirError('WEIR_STATE', `the snapshot thread did not open its read transaction on ${store.path} within ${pinTimeoutMs} ms`));
    }
    return done;
  }

  /**
   * Lets the thread finish what it is writing and end (closing its port ends it). Not terminate():
   * a thread torn down inside an LMDB call can abort the whole process (a native exception
   * thrown while JavaScript is being terminated). Resolves when it has exited, or after timeoutMs.
   */
  close(timeoutMs = 5_000): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.thread.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.thread.postMessage('close');
    });
  }

  private failAll(err: unknown): void {
    this.ready = false;
    for (const waiting of this.pending.values()) waiting.reject(err);
    this.pending.clear();
  }
}
