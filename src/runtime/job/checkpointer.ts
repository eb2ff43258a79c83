import { limits } from '../../limits.ts';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { CheckpointStore } from '../../checkpoint/checkpoint-store.ts';
import { offsetLogDir, pruneOffsetLog } from '../../checkpoint/offset-log.ts';
import type { CheckpointMetadataDraft, OperatorUids, SinkNote, SourcePosition, StateFileRef } from '../../checkpoint/metadata.ts';
import type { VerifiedCheckpoint } from '../../checkpoint/checkpoint-verify.ts';
import { fromPlainError, WeirError } from '../../errors.ts';
import { nowMs } from '../../util/clock.ts';
import type { ResolvedOptions } from '../options.ts';
import { kCheckpointCompleted, kCheckpointNow, kCheckpointPrepared, kFinalCheckpoint, type SharedViews } from '../protocol.ts';
import type { CheckpointAck, CheckpointDeclined, CheckpointPrepared } from '../protocol.ts';
import { assert } from '../../limits.ts';

/** Checkpoint figures for the job's metrics. */
export interface CheckpointStats {
  completed: number;
  lastCompletedId: number;
  /** From the trigger (as the first worker saw it) to the metadata being durable. */
  lastDurationMs: number;
  /** The longest barrier alignment (continuous mode) among the workers. */
  lastAlignmentMs: number;
  /** Bytes of state files the last checkpoint wrote (with incremental snapshots: its deltas and full snapshots). */
  lastBytes: number;
  /** Bytes of every state file the last checkpoint names: the whole state, earlier files linked in included. */
  lastStateBytes: number;
  /** Checkpoints in which some worker wrote a delta rather than a full snapshot (incremental, LMDB). */
  incremental: number;
  /** Checkpoints in which some worker's chain started with a full snapshot merged, in the background, from its earlier files. */
  merged: number;
  /** The duration of the last checkpoint in which every worker wrote a full snapshot. */
  lastFullDurationMs: number;
  totalDurationMs: number;
  /** The last limits.checkpointHistoryMax completed checkpoints, oldest first (the web UI's history). */
  history: CompletedCheckpoint[];
}

export interface CompletedCheckpoint {
  id: number;
  completedAtMs: number;
  durationMs: number;
  alignmentMs: number;
  bytes: number;
  stateBytes: number;
  incremental: boolean;
}

interface InFlight {
  id: number;
  dir: string;
  acks: Map<number, CheckpointAck>;
}

/**
 * The main thread's half of checkpointing; the coordinator thread decides when (coordinator.ts)
 * and the workers take their parts (worker-checkpoints.ts). For each checkpoint it:
 *  1. begins its directory and tells every worker where it is, then marks it prepared — so the
 *     filesystem work is done before the coordinator triggers it, off the critical path;
 *  2. collects every worker's acknowledgement (its state file with size and sha256, its sources'
 *     positions, its sinks' pre-commit notes);
 *  3. writes the metadata atomically (the commit point, checkpoint-store.ts) and publishes the id
 *     as completed, on which the workers commit their sinks' transactions.
 * A worker that declines fails the job with the reason (the restart strategy decides what next).
 */
export class Checkpointer {
  readonly stats: CheckpointStats = { completed: 0, lastCompletedId: 0, lastDurationMs: 0, lastAlignmentMs: 0, lastBytes: 0, lastStateBytes: 0, incremental: 0, merged: 0, lastFullDurationMs: 0, totalDurationMs: 0, history: [] };
  private inFlight: InFlight | undefined;
  private readonly savepoints: Array<{ name: string; resolve(c: VerifiedCheckpoint): void; reject(e: unknown): void }> = [];
  private failure: ((err: Error) => void) | undefined;
  private closed = false;
  /** Micro-batch: the epochs of the checkpoints this attempt knows to be retained, oldest first. */
  private readonly epochs: number[] = [];
  /** Settles with the first failure; the supervisor raises the abort flag on it. */
  readonly failed: Promise<never>;

  constructor(
    readonly store: CheckpointStore,
    private readonly options: ResolvedOptions,
    private readonly views: SharedViews,
    private readonly ports: MessagePort[],
    /** The id of the checkpoint or savepoint this attempt restored (perhaps another state directory's). */
    private readonly restoredId = 0,
    /** Micro-batch: the epoch of the checkpoint this attempt restored. */
    restoredEpoch?: number,
    /** The job's sources and stateful operators, recorded in every checkpoint (job-identity.ts). */
    private readonly operators?: OperatorUids,
  ) {
    if (restoredEpoch !== undefined) this.epochs.push(restoredEpoch);
    this.failed = new Promise<never>((_, reject) => (this.failure = reject));
    this.failed.catch(() => {});
    ports.forEach((port, worker) => port.on('message', (m: CheckpointAck | CheckpointDeclined) => this.onMessage(worker, m)));
  }

  static open(options: ResolvedOptions): Promise<CheckpointStore> {
    return CheckpointStore.open(options.stateDir, { retained: options.checkpointsRetained });
  }

  /** Prepares the first checkpoint of this run. */
  async start(): Promise<void> {
    await this.guard(() => this.prepare());
  }

  /**
   * Takes a savepoint now: the next checkpoint is triggered at once, and once complete its files
   * are copied into `savepoint-<name>/`, kept until deleted.
   */
  savepoint(name: string): Promise<VerifiedCheckpoint> {
    return new Promise((resolve, reject) => {
      this.savepoints.push({ name, resolve, reject });
      this.views.raise(kCheckpointNow);
    });
  }

  /** This run is over (or failed): drops the checkpoint in flight and stops listening. */
  async close(): Promise<void> {
    this.closed = true;
    for (const port of this.ports) port.close();
    const pending = this.inFlight;
    this.inFlight = undefined;
    if (pending) await this.store.abort(pending.id).catch(() => {});
    for (const s of this.savepoints.splice(0)) s.reject(new WeirError('WEIR_CHECKPOINT', `savepoint "${s.name}": the run ended before a checkpoint completed`));
  }

  private async prepare(): Promise<void> {
    if (this.closed) return;
    // Ids continue after every earlier run's, and after the restored checkpoint's, as Flink's do: the
    // files of an incremental chain restored from another state directory are named by their ids,
    // and a new file must not take the name of one linked in beside it. 0 is "none" in shared memory.
    const id = Math.max(1, await this.store.nextId(), this.restoredId + 1);
    assert(this.inFlight === undefined, `checkpoint ${id} prepared while ${this.inFlight?.id} is in flight`);
    assert(id > this.stats.lastCompletedId, `checkpoint ${id} prepared after ${this.stats.lastCompletedId} completed: ids must grow`);
    const dir = await this.store.begin(id);
    this.inFlight = { id, dir, acks: new Map() };
    const message: CheckpointPrepared = { type: 'prepared', id, dir };
    for (const port of this.ports) port.postMessage(message);
    // The message is queued on every port before the id is published: a worker that sees the
    // trigger finds the directory with receiveMessageOnPort.
    this.views.raise(kCheckpointPrepared, id);
  }

  private onMessage(worker: number, message: CheckpointAck | CheckpointDeclined): void {
    const current = this.inFlight;
    if (this.closed || !current || message.id !== current.id) return;
    if (message.type === 'declined') {
      const cause = fromPlainError(message.error);
      this.fail(new WeirError('WEIR_CHECKPOINT', `checkpoint ${message.id}: worker ${worker} could not take its part: ${cause.message}`, { worker, cause }));
      return;
    }
    assert(message.worker === worker && !current.acks.has(worker), `checkpoint ${message.id}: a second acknowledgement from worker ${worker} (or one naming worker ${message.worker})`);
    current.acks.set(worker, message);
    if (current.acks.size === this.ports.length) void this.guard(() => this.complete(current));
  }

  /**
   * Micro-batch: the offset log is kept back to the epoch of the oldest checkpoint retention
   * keeps, so that a fallback to it still replays the epochs after it (offset-log.ts).
   */
  private async pruneOffsetLog(epoch: number): Promise<void> {
    this.epochs.push(epoch);
    const retained = this.options.checkpointsRetained;
    if (this.epochs.length > retained) this.epochs.splice(0, this.epochs.length - retained);
    if (this.epochs.length === retained) await pruneOffsetLog(offsetLogDir(this.options.stateDir), this.epochs[0]);
  }

  private async complete(checkpoint: InFlight): Promise<void> {
    const acks = [...checkpoint.acks.values()].sort((a, b) => a.worker - b.worker);
    assert(acks.length === this.ports.length && acks.every((a) => a.id === checkpoint.id), `checkpoint ${checkpoint.id} completed without every worker's acknowledgement of it`);
    const draft: CheckpointMetadataDraft = {
      id: checkpoint.id,
      kind: 'checkpoint',
      createdAtMs: Date.now(),
      jobName: this.options.jobName,
      parallelism: this.options.parallelism,
      keyGroups: this.options.keyGroups,
      sourcePositions: acks.flatMap((a): SourcePosition[] => a.sourcePositions),
      stateFiles: acks.flatMap((a): StateFileRef[] => a.stateFiles),
      sinkNotes: acks.flatMap((a): SinkNote[] => a.sinkNotes),
      // Workers that finished early took part at their last epoch: the cut is at the newest.
      ...(this.options.mode === 'micro-batch' ? { epoch: Math.max(...acks.map((a) => a.epoch)) } : {}),
      ...(this.operators ? { operators: this.operators } : {}),
    };
    const verified = await this.store.complete(draft);
    this.inFlight = undefined;
    // From the trigger (the first worker to see it), not from the directory's preparation, which
    // happens right after the previous checkpoint completes, ahead of the next trigger.
    const durationMs = nowMs() - Math.min(...acks.map((a) => a.startedMs));
    Object.assign(this.stats, {
      completed: this.stats.completed + 1,
      lastCompletedId: checkpoint.id,
      lastDurationMs: durationMs,
      lastAlignmentMs: Math.max(0, ...acks.map((a) => a.alignmentMs)),
      lastBytes: acks.reduce((sum, a) => sum + a.writtenBytes, 0),
      lastStateBytes: draft.stateFiles.reduce((sum, f) => sum + f.bytes, 0),
      incremental: this.stats.incremental + (acks.some((a) => a.delta) ? 1 : 0),
      merged: this.stats.merged + (acks.some((a) => a.merged) ? 1 : 0),
      lastFullDurationMs: acks.some((a) => a.delta) ? this.stats.lastFullDurationMs : durationMs,
      totalDurationMs: this.stats.totalDurationMs + durationMs,
    });
    const { lastAlignmentMs: alignmentMs, lastBytes: bytes, lastStateBytes: stateBytes } = this.stats;
    this.stats.history = [...this.stats.history, { id: checkpoint.id, completedAtMs: Date.now(), durationMs, alignmentMs, bytes, stateBytes, incremental: acks.some((a) => a.delta) }].slice(-limits.checkpointHistoryMax);
    this.views.raise(kCheckpointCompleted, checkpoint.id);
    if (draft.epoch !== undefined) await this.pruneOffsetLog(draft.epoch);
    for (const s of this.savepoints.splice(0)) await this.copyToSavepoint(verified, s);
    if (Atomics.load(this.views.control, kFinalCheckpoint) !== checkpoint.id) await this.prepare();
  }

  private async copyToSavepoint(from: VerifiedCheckpoint, s: { name: string; resolve(c: VerifiedCheckpoint): void; reject(e: unknown): void }): Promise<void> {
    try {
      const dir = await this.store.beginSavepoint(s.name);
      for (const file of from.metadata.stateFiles) await copyFile(join(from.dir, file.path), join(dir, file.path));
      const { formatVersion: _, ...metadata } = from.metadata;
      s.resolve(await this.store.complete({ ...metadata, kind: 'savepoint', savepointName: s.name }));
    } catch (err) {
      s.reject(err);
    }
  }

  private async guard(step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (err) {
      this.fail(err instanceof WeirError ? err : new WeirError('WEIR_CHECKPOINT', `checkpointing failed: ${(err as Error).message}`, { cause: err }));
    }
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.failure?.(err);
  }
}
