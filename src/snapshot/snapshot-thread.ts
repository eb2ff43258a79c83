// The thread that writes a worker's LMDB snapshots (lmdb-snapshotter.ts is the worker's side). It
// serves one worker task at a time, a session each, and outlives the session: a worker thread keeps
// its snapshot thread for its next task (a worker thread serves one job after another,
// runtime/job/thread-pools.ts), so that task does not wait for a new thread to load its modules.
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
import { insideLmdb, watchForWorkerExit } from './exit-parking.ts';
import { loadLmdb } from '../state/lmdb-module.ts';

// The worker that started this thread may exit at any time: its lmdb calls are marked
// (exit-parking.ts), loading lmdb's addon first.
watchForWorkerExit((workerData as { exitParking: SharedArrayBuffer }).exitParking);
// This thread only writes snapshots: lmdb and msgpackr are loaded while it starts, not at the first one.
insideLmdb(() => loadLmdb());

/** Worker → thread: a session begins (one at a time); the thread answers 'ready'. */
export interface SnapshotSessionStart {
  type: 'session';
  /** Replies go here; the worker reads them with receiveMessageOnPort, without an event-loop turn. */
  replies: MessagePort;
  /** Int32 [0]: replies posted so far. Bumped after each reply, before ringing the worker. */
  posted: SharedArrayBuffer;
  /** The worker's doorbell: a parked worker wakes to take the reply. */
  worker: DoorbellAddress;
}

/**
 * Worker → thread, besides requests: 'close' ends the session once nothing is being written or
 * merged (the thread answers 'closed'); 'exit' ends the thread once it is idle.
 */
export type SnapshotThreadCommand = 'close' | 'exit';
/** Thread → worker, on the thread's own port: a session is open, or closed with nothing left running. */
export type SnapshotThreadStatus = 'ready' | 'closed';

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

/**
 * One worker task's snapshots.
 *
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
class SnapshotSession {
  private readonly chain = new SnapshotChain();
  /** A merge is running; or one has finished and waits for the next delta to take its base. */
  private merging = false;
  private mergedBase: { generation: number; count: number; file: ChainFile } | undefined;
  private inFlight = 0;
  private closing = false;
  private closed = false;
  private readonly postedCount: Int32Array;
  private readonly doorbells: Doorbells;
  private readonly workerId: number;

  constructor(
    private readonly replies: MessagePort,
    posted: SharedArrayBuffer,
    worker: DoorbellAddress,
    /** Called once the session has closed with nothing left running. */
    private readonly onClosed: () => void,
  ) {
    this.postedCount = new Int32Array(posted);
    ({ doorbells: this.doorbells, id: this.workerId } = Doorbells.at(worker));
  }

  request(request: SnapshotRequest): void {
    const flag = new Int32Array(request.pinned);
    // Only here, between snapshots: a delta being written extends the chain it started on.
    const merged = request.changes !== undefined && this.inFlight === 0 && this.takeMergedBase();
    // A snapshot still being written has not joined the chain yet: a delta now would miss its keys.
    // Decided on the log's length (keys logged twice counted twice), so the worker, waiting for the
    // answer, is not kept waiting while the log is de-duplicated.
    const asDelta = request.changes !== undefined && this.inFlight === 0 && this.chain.canTakeDelta(request.changes.count, request.name);
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
        this.reply({ id: request.id, ok: false, error: toPlainError(err) });
        return;
      }
    }
    // The view (if any) is fixed: the worker may write to LMDB again.
    announce(flag, handshake.goOn);
    this.inFlight++;
    (asDelta ? this.writeDelta(latestChanges(request.changes!), request, merged) : this.writeFull(view!, request))
      .then(
        (r) => this.reply({ id: request.id, ok: true, ...r }),
        (err: unknown) => {
          this.replaceChain([]);
          this.reply({ id: request.id, ok: false, error: toPlainError(err) });
        },
      )
      .finally(() => {
        this.inFlight--;
        if (!this.closing && !this.merging && !this.mergedBase && this.chain.wantsMerge()) this.startMerge(request);
        this.closeWhenIdle();
      });
  }

  /** The worker's store was restored from exactly these files: they start the chain. */
  buildOn(files: ChainFile[]): void {
    this.replaceChain(files);
  }

  /** Ends the session once no snapshot is being written or merged: never torn down inside an LMDB call. */
  close(): void {
    this.closing = true;
    this.closeWhenIdle();
  }

  private closeWhenIdle(): void {
    if (!this.closing || this.inFlight > 0 || this.merging || this.closed) return;
    this.closed = true;
    void this.removeWaitingBases().finally(() => {
      this.replies.close();
      this.onClosed();
    });
  }

  private reply(message: SnapshotReply): void {
    this.replies.postMessage(message);
    // After the post: a worker that sees the count also finds the message on its port.
    Atomics.add(this.postedCount, 0, 1);
    this.doorbells.ring(this.workerId);
  }

  private async writeFull(view: PinnedLmdbView, request: SnapshotRequest) {
    this.replaceChain([]);
    const generation = this.chain.generation;
    const r = await writePinnedView(view, join(request.dir, request.name), { yieldBetweenChunks: false });
    const file = { name: request.name, bytes: r.bytes, sha256: r.sha256 };
    if (this.chain.generation === generation) this.replaceChain([{ ...file, absolutePath: join(request.dir, request.name), keys: r.entries }]);
    return { files: [file], writtenBytes: r.bytes, entries: r.entries, delta: false, merged: false };
  }

  private async writeDelta(changes: LatestChanges, request: SnapshotRequest, merged: boolean) {
    const contents = deltaContents(changes);
    const generation = this.chain.generation;
    const waiting = this.chain.files[0]?.absolutePath;
    const linked: ChainFile[] = [];
    for (const file of this.chain.files) {
      const to = join(request.dir, file.name);
      await link(file.absolutePath, to).catch(() => copyFile(file.absolutePath, to)); // a file system without hard links
      linked.push({ ...file, absolutePath: to });
    }
    const r = await writeDeltaFile(contents, join(request.dir, request.name));
    const file = { name: request.name, bytes: r.bytes, sha256: r.sha256 };
    if (this.chain.generation === generation) {
      this.chain.extend(linked, { ...file, absolutePath: join(request.dir, request.name), keys: changes.keys.size });
      // A merged base now lives in this checkpoint's directory: its waiting name can go.
      if (waiting?.endsWith(mergingSuffix)) await rm(waiting, { force: true });
    }
    return { files: [...linked, file].map(({ name, bytes, sha256 }) => ({ name, bytes, sha256 })), writtenBytes: r.bytes, entries: r.entries + r.deletes, delta: true, merged };
  }

  /**
   * Merges the chain as it is now into `<checkpoints>/<worker>.chk-<id>.merged.snapshot.merging`,
   * resting between its steps; the next delta takes the result.
   */
  private startMerge(after: SnapshotRequest): void {
    const files = this.chain.files.slice();
    const generation = this.chain.generation;
    const name = `${after.name.replace(/\.snapshot$/, '')}.merged.snapshot`;
    const path = join(dirname(after.dir), name + mergingSuffix);
    // The chain this merge was begun on is gone, or the session is ending: the merge is of no use.
    const stale = () => this.closing || this.chain.generation !== generation;
    this.merging = true;
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
          else this.mergedBase = { generation, count: files.length, file };
        },
        (err: unknown) => {
          // A chain that could not be merged cannot be kept short: the next snapshot is full.
          if (!(err instanceof MergeCancelled) && this.chain.generation === generation) this.replaceChain([]);
        },
      )
      .finally(() => {
        this.merging = false;
        this.closeWhenIdle();
      });
  }

  /** A finished merge's base takes the place of the files it merged: true when it did. */
  private takeMergedBase(): boolean {
    if (!this.mergedBase) return false;
    const { generation, count, file } = this.mergedBase;
    this.mergedBase = undefined;
    if (this.chain.rebase(generation, count, file)) return true;
    void rm(file.absolutePath, { force: true });
    return false;
  }

  /** The chain is now `files`; a merged base not linked into any checkpoint yet goes with the old one. */
  private replaceChain(files: ChainFile[]): void {
    void this.removeWaitingBases();
    this.chain.replace(files);
  }

  private removeWaitingBases(): Promise<unknown> {
    const waiting = [this.mergedBase?.file.absolutePath, this.chain.files[0]?.absolutePath].filter((p) => p?.endsWith(mergingSuffix));
    this.mergedBase = undefined;
    return Promise.all(waiting.map((p) => rm(p!, { force: true })));
  }
}

let session: SnapshotSession | undefined;

parentPort!.on('message', (message: SnapshotSessionStart | SnapshotRequest | BuildOn | SnapshotThreadCommand) => {
  if (message === 'exit') {
    // The thread ends once its event loop is empty: a session still writing finishes first.
    parentPort!.close();
    return;
  }
  if (message === 'close') {
    session?.close();
    return;
  }
  if (!('type' in message)) {
    session!.request(message);
    return;
  }
  if (message.type === 'build-on') {
    session!.buildOn(message.files);
    return;
  }
  // The worker's side begins a session only once the last one has answered 'closed'.
  if (session !== undefined) throw new Error('internal: a snapshot session began before the previous one closed');
  nameThisThread(`snapshot thread of worker ${message.worker.id}`);
  session = new SnapshotSession(message.replies, message.posted, message.worker, () => {
    session = undefined;
    parentPort!.postMessage('closed' satisfies SnapshotThreadStatus);
  });
  parentPort!.postMessage('ready' satisfies SnapshotThreadStatus);
});
