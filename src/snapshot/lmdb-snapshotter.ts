import { join } from 'node:path';
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import type { DoorbellAddress } from '../channel/doorbell.ts';
import { announce, handshake, waitWhile } from './snapshot-handshake.ts';
import { exitParkingSlots, forgetExitParkingSlots } from './exit-parking.ts';
import { fromPlainError, WeirError } from '../errors.ts';
import { limits } from '../limits.ts';
import type { LmdbStore } from '../state/lmdb-store.ts';
import { startTsWorker } from '../util/ts-worker.ts';
import { siblingModule } from '../util/module-url.ts';
import type { BuildOn, SnapshotFile, SnapshotReply, SnapshotRequest, SnapshotSessionStart, SnapshotThreadCommand, SnapshotThreadStatus } from './snapshot-thread.ts';
import type { RestoredFiles } from './restored-files.ts';
import { snapshotLmdbStore } from './state-snapshot.ts';

/** A worker's state in a checkpoint: its files in restore order (a full snapshot, then deltas), and the bytes this snapshot wrote. */
export interface WrittenState {
  files: SnapshotFile[];
  writtenBytes: number;
  delta: boolean;
  /** The files start with a full snapshot merged from an earlier chain, new in this snapshot. */
  merged: boolean;
}

/**
 * Writes a worker's LMDB snapshots on a thread of their own, so that copying a large state out
 * (1 M keys: about a second) runs on another core instead of between the worker's rounds.
 *
 * Consistency: the worker hands the thread the store's change log — what reached LMDB since the
 * previous snapshot, and the write-back cache's entries changed since then, as they are at the
 * barrier — and waits (Atomics.wait, typically well under a millisecond) until the thread says it
 * may write to LMDB again (snapshot-handshake.ts). An incremental snapshot (a delta) is made from
 * the log alone, so the thread answers at once. For a full one the thread first has the worker
 * flush its cache into LMDB, then opens a read transaction — the view at the barrier. LMDB
 * readers never block writers, so the worker then goes on while the thread copies the pinned view
 * out. lmdb-js shares one environment per path within a process, so both threads see the same data.
 *
 * Replies: the thread posts them on a port of their own and rings the worker's doorbell; the
 * worker takes them in poll() with receiveMessageOnPort. Waiting for a 'message' event instead
 * would need the worker to turn its event loop every round while a snapshot is written — measured:
 * turns of 2–14 ms, and with each round slower the worker never went idle, so its sinks flushed
 * only on their 50 ms timer; p99 at 50 K/s went from 5 ms to 25 ms during snapshots.
 *
 * Start-up: loading the thread's modules takes about a second on a busy machine, longer than the
 * first checkpoint interval may be. A worker starts it first thing and waits for `started` before
 * its first record, so that no checkpoint is taken on the worker's own thread (a 1 M-key copy
 * there stalls record processing for tens of ms per chunk). If the thread fails to start,
 * snapshots are taken on the worker's own thread as a fallback. The thread outlives the task: a
 * worker thread serves one task after another (runtime/job/thread-pools.ts), and the snapshot
 * thread whose session closed cleanly waits for the next one (`idleThread`), which then starts at
 * once. One that did not close in time, or failed, is never reused.
 */
/** This worker thread's snapshot thread between two tasks: its last session closed, nothing runs on it. */
let idleThread: Worker | undefined;

/** A new snapshot thread, kept out of LMDB while this worker thread exits (exit-parking.ts). */
function startSnapshotThread(): Worker {
  const slots = exitParkingSlots();
  const thread = startTsWorker(siblingModule('./snapshot-thread', import.meta.url), { workerData: { exitParking: slots.buffer } });
  thread.once('exit', () => forgetExitParkingSlots(slots));
  return thread;
}

export class LmdbSnapshotter {
  private readonly thread: Worker;
  private readonly replies: MessagePort;
  private readonly posted = new Int32Array(new SharedArrayBuffer(4));
  private taken = 0;
  private threadReady = false;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(r: WrittenState): void; reject(e: unknown): void; sinceMs: number }>();
  /** Settles once the thread can take snapshots, or has failed to start (then snapshots fall back). */
  readonly started: Promise<void>;
  private markStarted!: () => void;

  /** The session's answers: 'ready' once it is open, 'closed' once nothing runs on the thread. */
  private readonly statuses: (status: SnapshotThreadStatus) => void;
  private readonly failed = (err: unknown) => this.failAll(err);
  private readonly exited = (code: number) => this.failAll(new WeirError('WEIR_STATE', `the snapshot thread exited (code ${code})`));
  private onClosed: (() => void) | undefined;

  constructor(worker: DoorbellAddress) {
    this.started = new Promise((resolve) => (this.markStarted = resolve));
    const { port1, port2 } = new MessageChannel();
    this.replies = port1;
    this.thread = idleThread ?? startSnapshotThread();
    idleThread = undefined;
    this.thread.unref();
    this.statuses = (status) => {
      if (status === 'ready') {
        this.threadReady = true;
        this.markStarted();
      } else this.onClosed?.();
    };
    this.thread.on('message', this.statuses);
    this.thread.on('error', this.failed);
    this.thread.on('exit', this.exited);
    // A new thread takes it once its modules have loaded (a port keeps what is posted until then).
    const start: SnapshotSessionStart = { type: 'session', replies: port2, posted: this.posted.buffer as SharedArrayBuffer, worker };
    this.thread.postMessage(start, [port2]);
  }

  /** The snapshot thread's id (a reused thread keeps its id). */
  get threadId(): number {
    return this.thread.threadId;
  }

  /** The thread has started and not failed: snapshot() runs there, not on the calling thread's event loop. */
  get ready(): boolean {
    return this.threadReady;
  }

  /**
   * Snapshots `store` as of the call into checkpoint directory `dir`, writing file `name` (a full
   * snapshot, or a delta with the earlier files linked in); the returned promise settles in a
   * later poll() once the files are written.
   */
  snapshot(store: LmdbStore, dir: string, name: string): Promise<WrittenState> {
    // Taken at the cut, whichever way the snapshot is written, so the next delta starts here. The
    // cache's dirty entries are in it, not in LMDB (takeSnapshotChanges says why).
    const changes = store.takeSnapshotChanges();
    if (!this.threadReady) {
      // On this thread's event loop, and always full.
      return snapshotLmdbStore(store, join(dir, name)).then((r) => ({ files: [{ name, bytes: r.bytes, sha256: r.sha256 }], writtenBytes: r.bytes, delta: false, merged: false }));
    }
    const id = this.nextId++;
    const pinned = new SharedArrayBuffer(4);
    const flag = new Int32Array(pinned);
    const done = new Promise<WrittenState>((resolve, reject) => this.pending.set(id, { resolve, reject, sinceMs: performance.now() }));
    this.thread.postMessage({ id, path: store.path, dir, name, changes, pinned } satisfies SnapshotRequest, changes ? [changes.bytes.buffer as ArrayBuffer] : []);
    // Nothing may reach LMDB before the thread says so (snapshot-handshake.ts): wait for it here.
    const timedOut = () => {
      this.pending.delete(id);
      return Promise.reject(new WeirError('WEIR_STATE', `the snapshot thread did not open its read transaction on ${store.path} within ${limits.snapshotPinTimeoutMs} ms`));
    };
    if (!waitWhile(flag, handshake.waiting, limits.snapshotPinTimeoutMs)) return timedOut();
    if (Atomics.load(flag, 0) === handshake.flushFirst) {
      try {
        store.flush();
      } catch (err) {
        announce(flag, handshake.failed);
        this.pending.delete(id);
        return Promise.reject(err);
      }
      announce(flag, handshake.flushed);
      if (!waitWhile(flag, handshake.flushed, limits.snapshotPinTimeoutMs)) return timedOut();
    }
    return done;
  }

  /**
   * The store was just restored from these files (exactly its state): the first snapshot may be a
   * delta on them instead of a full one. Posted ahead of every snapshot request.
   */
  buildOn(restored: RestoredFiles): void {
    this.thread.postMessage({ type: 'build-on', ...restored } satisfies BuildOn);
  }

  /** A reply is waiting to be taken by poll() (a worker's wake condition). */
  hasReplies(): boolean {
    return Atomics.load(this.posted, 0) !== this.taken;
  }

  /** Settles the snapshots the thread has replied to. Synchronous: no event-loop turn needed. */
  poll(): void {
    if (!this.hasReplies()) return;
    for (let m = receiveMessageOnPort(this.replies); m; m = receiveMessageOnPort(this.replies)) {
      this.taken++;
      const reply = m.message as SnapshotReply;
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.ok) waiting?.resolve(reply);
      else waiting?.reject(fromPlainError(reply.error));
    }
  }

  /**
   * A snapshot has waited longer than limits.snapshotReplyPatienceMs: the worker should turn its
   * event loop, where the thread's exit or error would be reported.
   */
  overdue(): boolean {
    const now = performance.now();
    for (const { sinceMs } of this.pending.values()) if (now - sinceMs > limits.snapshotReplyPatienceMs) return true;
    return false;
  }

  /**
   * Lets the thread finish what it is writing and end the session; the thread then waits for this
   * worker thread's next task (`idleThread`). Not terminate(): a thread torn down inside an LMDB
   * call can abort the whole process (a native exception thrown while JavaScript is being
   * terminated). Resolves when the session has closed, or after timeoutMs: a thread that did not
   * close in time, or failed, is told to end once it is idle and is never reused.
   */
  close(timeoutMs = 5_000): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.onClosed = undefined;
        this.command('exit');
        resolve();
      }, timeoutMs);
      this.onClosed = () => {
        clearTimeout(timer);
        this.replies.close();
        this.thread.off('message', this.statuses);
        this.thread.off('error', this.failed);
        this.thread.off('exit', this.exited);
        if (this.threadReady && idleThread === undefined) idleThread = this.thread;
        else this.command('exit');
        resolve();
      };
      this.command('close');
    });
  }

  private command(command: SnapshotThreadCommand): void {
    this.thread.postMessage(command);
  }

  private failAll(err: unknown): void {
    this.threadReady = false;
    this.markStarted();
    this.poll();
    for (const waiting of this.pending.values()) waiting.reject(err);
    this.pending.clear();
  }
}
