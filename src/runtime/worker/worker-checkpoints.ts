import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { SinkWriter, SourceReader } from '../../connectors/types.ts';
import type { JsonValue, SinkNote, SourcePosition, StateFileRef } from '../../checkpoint/metadata.ts';
import type { WorkerSnapshots } from '../../snapshot/backends.ts';
import { toPlainError, WeirError } from '../../errors.ts';
import type { StateStore } from '../../state/store.ts';
import { BarrierAlignment } from './barriers.ts';
import { kCheckpointCompleted, kCheckpointEpoch, kCheckpointRequested, kFinalCheckpoint, type SharedViews, type CheckpointAck, type CheckpointDeclined, type CheckpointPrepared } from '../protocol.ts';

/** What the worker loop lends to checkpointing. */
export interface CheckpointedParts {
  sources: Array<{ operatorUid: string; partition: number; reader: SourceReader<unknown> }>;
  /** Micro-batch: the epoch being processed (0 in continuous mode). */
  epoch(): number;
  /** Every sink's writer, the dead-letter output's included. */
  sinks: Array<{ sinkUid: string; writer: SinkWriter<unknown> }>;
  store(): StateStore | undefined;
  /** At the cut, before the store is snapshotted: operators put what they hold outside it (mapAsync's records in flight). */
  beforeSnapshot?(): void;
  /** The sinks pre-committed checkpoint `id`: what reached the two-phase ones since the last is in its transactions. */
  preCommitted?(id: number): void;
  /** Checkpoint `id` committed on every sink of this worker: its transactions are visible. */
  committed?(id: number): void;
}

/**
 * One worker's part in checkpoints (checkpointer.ts runs the other end on the main thread):
 * when to take its snapshot, what goes into it, the first phase of two-phase commit on its sinks,
 * and the second phase once the checkpoint is complete.
 *
 * The snapshot is taken in one synchronous step at the consistent cut (barriers.ts in continuous
 * mode, the end of an epoch in micro-batch mode); the state file is written afterwards while the
 * worker processes on, and the acknowledgement goes to the main thread when it is durable.
 */
export class WorkerCheckpoints {
  /** Continuous mode only. */
  readonly alignment: BarrierAlignment | undefined;
  private readonly dirs = new Map<number, string>();
  private positions: SourcePosition[] = [];
  private injectedAtMs = 0;
  /** The newest checkpoint this worker has snapshotted and committed. */
  private snapshotted = 0;
  private committed = 0;
  /** State files being written on this thread's event loop (heap state, or LMDB before its snapshot thread started): see needsEventLoop. */
  private writesOnThisThread = 0;
  /** Positions per checkpoint, to hand to sources that commit them (Kafka consumer groups) on completion. */
  private readonly pendingPositions = new Map<number, SourcePosition[]>();

  constructor(
    private readonly me: number,
    private readonly views: SharedViews,
    /** The worker's clock (environment.ts). */
    private readonly nowMs: () => number,
    private readonly port: MessagePort,
    private readonly parts: CheckpointedParts,
    alignment: BarrierAlignment | undefined,
    /** The state backend's way of snapshotting (LMDB: on a thread of its own); started by the worker before its first record. */
    private readonly snapshots: WorkerSnapshots | undefined,
  ) {
    this.alignment = alignment;
  }

  /**
   * A state file is being written on this thread's event loop, or the snapshot thread is overdue
   * (its exit would be reported there). The worker loop only awaits its own promises, and parks
   * with Atomics.wait, so the event loop — where file writes complete — would otherwise never run:
   * while this is true the loop yields to it every round and parks for at most a millisecond.
   * Snapshots written off this thread need none of this: poll() takes their replies.
   */
  needsEventLoop(): boolean {
    return this.writesOnThisThread > 0 || (this.snapshots?.overdue() ?? false);
  }

  /** The snapshot thread has replied: a parked worker wakes to poll(). */
  hasReplies(): boolean {
    return this.snapshots?.hasReplies() ?? false;
  }

  /** Takes the snapshot thread's replies (their acknowledgements go out from the promise callbacks). */
  poll(): void {
    this.snapshots?.poll();
  }

  /** Ends the snapshot thread once it is idle (waiting at most timeoutMs). */
  close(timeoutMs?: number): Promise<void> {
    return this.snapshots?.close(timeoutMs) ?? Promise.resolve();
  }

  private get requested(): number {
    return Atomics.load(this.views.control, kCheckpointRequested);
  }

  /** Continuous mode: a new checkpoint was triggered; note where the sources are and stop them (barriers.ts). */
  maybeInject(): void {
    const alignment = this.alignment!;
    const requested = this.requested;
    if (requested <= alignment.injected) return;
    this.positions = this.sourcePositions();
    this.injectedAtMs = this.nowMs();
    alignment.inject(requested, this.injectedAtMs);
  }

  /** Continuous mode: snapshots once the injected checkpoint is aligned. */
  async maybeSnapshotAligned(): Promise<boolean> {
    const alignment = this.alignment!;
    if (!alignment.aligned()) return false;
    const id = alignment.injected;
    await this.snapshot(id, this.positions, this.injectedAtMs, () => alignment.complete(this.nowMs()));
    return true;
  }

  /** Micro-batch mode: at the end of `epoch`, takes the checkpoint the coordinator attached to it. */
  async atEpochEnd(epoch: number): Promise<void> {
    const requested = this.requested;
    if (requested <= this.snapshotted || Atomics.load(this.views.control, kCheckpointEpoch) !== epoch) return;
    const started = this.nowMs();
    await this.snapshot(requested, this.sourcePositions(), started, () => 0);
  }

  /**
   * A worker with no more input takes part in every checkpoint at once (its cut is trivially
   * reached): in continuous mode through the alignment (it has ended every exchange), else here.
   */
  async whileDrained(): Promise<void> {
    if (this.alignment) {
      this.maybeInject();
      await this.maybeSnapshotAligned();
      return;
    }
    const requested = this.requested;
    if (requested > this.snapshotted) await this.snapshot(requested, this.sourcePositions(), this.nowMs(), () => 0);
  }

  /** Commits every checkpoint completed since the last call: the second phase on each sink, then the sources' offsets. */
  async commitCompleted(): Promise<void> {
    const completed = Atomics.load(this.views.control, kCheckpointCompleted);
    if (completed <= this.committed || completed > this.snapshotted) return;
    for (const { writer } of this.parts.sinks) await writer.commit?.(completed);
    this.parts.committed?.(completed);
    const positions = this.pendingPositions.get(completed);
    for (const [id] of this.pendingPositions) if (id <= completed) this.pendingPositions.delete(id);
    if (positions) {
      for (const source of this.parts.sources) {
        const at = positions.find((p) => p.operatorUid === source.operatorUid && p.partition === source.partition);
        if (at && source.reader.commitPosition) await source.reader.commitPosition(at.position);
      }
    }
    this.committed = completed;
  }

  /** Checkpointing is over for this worker: the final checkpoint (taken once every worker drained) is committed. */
  finalCommitted(): boolean {
    const final = Atomics.load(this.views.control, kFinalCheckpoint);
    return final !== 0 && this.committed >= final;
  }

  private sourcePositions(): SourcePosition[] {
    return this.parts.sources.map(({ operatorUid, partition, reader }) => ({ operatorUid, partition, position: toJson(reader.position(), operatorUid) }));
  }

  private dirOf(id: number): string {
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
      const message = m.message as CheckpointPrepared;
      if (message.type === 'prepared') this.dirs.set(message.id, message.dir);
    }
    const dir = this.dirs.get(id);
    if (dir === undefined) throw new WeirError('WEIR_CHECKPOINT', `worker ${this.me}: checkpoint ${id} was triggered before its directory was prepared`);
    for (const known of this.dirs.keys()) if (known <= id) this.dirs.delete(known);
    return dir;
  }

  /**
   * The cut is reached: the state view is pinned (synchronously), every sink pre-commits, and
   * `release` lets held inputs and sources go on. The state file and the acknowledgement follow.
   */
  private async snapshot(id: number, positions: SourcePosition[], startedMs: number, release: () => number): Promise<void> {
    this.snapshotted = id;
    const snapshotStartMs = this.nowMs();
    const epoch = this.parts.epoch();
    let written: Promise<{ files: StateFileRef[]; writtenBytes: number; delta: boolean; merged: boolean } | undefined>;
    let sinkNotes: SinkNote[];
    let alignmentMs: number;
    try {
      const dir = this.dirOf(id);
      this.parts.beforeSnapshot?.();
      const store = this.parts.store();
      // Named by checkpoint: an incremental snapshot links earlier checkpoints' files in beside it.
      const name = `worker-${this.me}.chk-${id}.snapshot`;
      // The backend decides how (LMDB: on the snapshot thread once it has started, before then on
      // this one, taking the store's change log either way so the next delta starts at this cut).
      const offThread = this.snapshots?.offThread ?? false;
      const snapshot = store && this.snapshots ? this.snapshots.snapshot(store, dir, name) : undefined;
      if (snapshot && !offThread) {
        this.writesOnThisThread++;
        snapshot.finally(() => this.writesOnThisThread--).catch(() => {});
      }
      written = snapshot
        ? snapshot.then((r) => ({ files: r.files.map(({ name: path, bytes, sha256 }) => ({ worker: this.me, path, bytes, sha256 })), writtenBytes: r.writtenBytes, delta: r.delta, merged: r.merged }))
        : Promise.resolve(undefined);
      written.catch(() => {}); // handled below; never an unhandled rejection while the sinks pre-commit
      sinkNotes = [];
      for (const { sinkUid, writer } of this.parts.sinks) {
        if (writer.preCommit) sinkNotes.push({ sinkUid, subtask: this.me, note: (await writer.preCommit(id, { sourcePositions: positions })) as JsonValue });
        else await writer.flush();
      }
      this.parts.preCommitted?.(id);
      alignmentMs = snapshotStartMs - startedMs;
      release();
    } catch (err) {
      this.decline(id, err);
      throw err;
    }
    this.pendingPositions.set(id, positions);
    written.then(
      (state) => {
        const ack: CheckpointAck = {
          type: 'ack',
          id,
          worker: this.me,
          stateFiles: state?.files ?? [],
          writtenBytes: state?.writtenBytes ?? 0,
          delta: state?.delta ?? false,
          merged: state?.merged ?? false,
          sourcePositions: positions,
          sinkNotes,
          epoch,
          alignmentMs,
          startedMs,
          snapshotMs: this.nowMs() - snapshotStartMs,
        };
        this.port.postMessage(ack);
      },
      (err: unknown) => this.decline(id, err),
    );
  }

  private decline(id: number, err: unknown): void {
    const error = toPlainError(err);
    this.port.postMessage({ type: 'declined', id, worker: this.me, error } satisfies CheckpointDeclined);
  }
}

/** A source position as the JSON a checkpoint (or the offset log) stores. */
export function toJson(position: unknown, operator: string): JsonValue {
  if (position === undefined) return null;
  try {
    return JSON.parse(JSON.stringify(position)) as JsonValue;
  } catch (cause) {
    throw new WeirError('WEIR_CHECKPOINT', `source "${operator}": its position() is not JSON-serialisable: ${(cause as Error).message}`, { operator, cause });
  }
}
