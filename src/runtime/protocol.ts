/**
 * The protocol between weir's threads, in one place: the shared memory every thread maps (its
 * control slots with who writes and who reads each, the rings, the metrics block) and every message
 * that crosses threads by postMessage:
 *
 *   main thread → worker      WorkerTask (the worker's one task), CheckpointPrepared
 *   worker → main thread      WorkerResult, CheckpointAck, CheckpointDeclined
 *   main thread → coordinator CoordinatorData (its one task)
 *   coordinator → main thread CoordinatorReport (its task's result)
 *   worker → coordinator      latency snapshots (instrumentation/latency-recorder.ts)
 *   worker ⇄ snapshot thread  snapshot/snapshot-handshake.ts (a protocol of its own, below the worker)
 *
 * Errors cross as PlainError (errors.ts): postMessage loses class identity.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ReplayPlan } from '../checkpoint/offset-log.ts';
import type { SinkNote, SourcePosition, StateFileRef } from '../checkpoint/metadata.ts';
import type { PlainError } from '../errors.ts';
import type { LatencySnapshot } from './instrumentation/latency-recorder.ts';
import type { ResolvedOptions } from './options.ts';
import type { RestorePoint } from './restore.ts';
import { Doorbells } from '../channel/doorbell.ts';
import { WeirError } from '../errors.ts';
import { initRing, ringByteLength, RingReader, ringUsedBytes, RingWriter } from '../channel/ring.ts';

/**
 * Shared memory of one run, allocated by the main thread and handed to every thread:
 *  - control: Int32 flags and counters, plus one doorbell per thread (workers 0…N−1, coordinator N),
 *    the start time, and each source partition's watermark and status (watermark alignment);
 *  - rings: one SPSC ring per (exchange, sender, receiver);
 *  - metrics: Float64 counters each worker refreshes (see metrics.ts).
 */

/**
 * Int32 slot indices in the control block, each with who writes it → who reads it. Every write is
 * an Atomics.store or add followed by ringing the readers' doorbells; every read an Atomics.load.
 */
export const kStop = 0; // main (job.stop()) → workers' sources, coordinator. 1: sources stop reading; the stream drains to end-of-stream and the job completes
export const kAbort = 1; // any thread → every thread. 1: something failed; every thread throws out of its loop at once
export const kEpochRequested = 2; // coordinator (main, at a restore) → workers. Micro-batch: the newest epoch the coordinator has started
export const kWorkersDone = 3; // workers (each adds 1) → coordinator. How many workers have finished their loop
export const kWorkersReady = 4; // workers (each adds 1) → coordinator, main (job.ready). How many have built their chain and wait at the start gate
export const kStarted = 5; // coordinator (markStarted) → workers, main (job.ready). 1: the start time is set; sources may read
// Checkpoints (see job/checkpointer.ts and worker/worker-checkpoints.ts). Ids grow; 0 means none.
export const kCheckpointPrepared = 6; // main (checkpointer) → coordinator. The newest checkpoint whose directory the main thread has made ready
export const kCheckpointRequested = 7; // coordinator → workers. The newest checkpoint the coordinator has triggered
export const kCheckpointCompleted = 8; // main (checkpointer) → workers (commit their sinks), coordinator. The newest checkpoint whose metadata is written
export const kCheckpointEpoch = 9; // coordinator → workers. Micro-batch: the epoch at whose end the requested checkpoint is taken
export const kWorkersDrained = 10; // workers (each adds 1) → coordinator. How many workers have no more input (sources and exchanges ended)
export const kFinalCheckpoint = 11; // coordinator → main (checkpointer), workers. The checkpoint taken once every worker has drained: after committing it, workers finish
export const kCheckpointNow = 12; // main (a savepoint was asked for) → coordinator. 1: trigger the prepared checkpoint at once
export const kStateQueriesPosted = 13; // main (state-query-client.ts, after posting each state query) → workers. A worker looks at its query port only when this changed (state-queries.ts)
export const kControlFixedSlots = 16;
/** Then one slot per worker, worker w → coordinator (main, at a restore): the newest epoch w has completed (micro-batch). */
export const epochCompletedSlot = (worker: number) => kControlFixedSlots + worker;

/**
 * Per source partition (every partition of every source, in plan order: watermark-alignment.ts
 * numbers them), two Float64 slots after the start time, written only by the worker that owns the
 * partition: its watermark (−∞ before its first record) and its status below.
 */
export const kPartitionWatermark = 0;
export const kPartitionStatus = 1;
export const kPartitionSlots = 2;
export const kPartitionActive = 0;
export const kPartitionIdle = 1; // no record for a while (watermark-alignment.ts): holds nobody back
export const kPartitionEnded = 2; // read to its end (or stop()): holds nobody back

export interface SharedBuffers {
  control: SharedArrayBuffer;
  rings: SharedArrayBuffer;
  metrics: SharedArrayBuffer;
}

export interface SharedLayout {
  parallelism: number;
  exchanges: number;
  ringCapacityBytes: number;
  metricsSlots: number;
  /** Partitions of all sources together (one watermark slot pair each). */
  partitions: number;
}

function controlSlots(parallelism: number): number {
  return kControlFixedSlots + parallelism;
}

function doorbellOffset(parallelism: number): number {
  return controlSlots(parallelism) * 4;
}

/** The Float64 start time lives after the doorbells, rounded up to 8 bytes. */
function startTimeOffset(parallelism: number): number {
  return Math.ceil((doorbellOffset(parallelism) + Doorbells.byteLength(parallelism + 1)) / 8) * 8;
}

export function allocateShared(layout: SharedLayout): SharedBuffers {
  const { parallelism, exchanges, ringCapacityBytes } = layout;
  const control = new SharedArrayBuffer(startTimeOffset(parallelism) + 8 + layout.partitions * kPartitionSlots * 8);
  const watermarks = new Float64Array(control, startTimeOffset(parallelism) + 8, layout.partitions * kPartitionSlots);
  for (let i = 0; i < layout.partitions; i++) watermarks[i * kPartitionSlots + kPartitionWatermark] = Number.NEGATIVE_INFINITY;
  const ringBytes = ringByteLength(ringCapacityBytes);
  const rings = new SharedArrayBuffer(Math.max(8, exchanges * parallelism * parallelism * ringBytes));
  for (let i = 0; i < exchanges * parallelism * parallelism; i++) initRing(rings, i * ringBytes, ringCapacityBytes);
  const metrics = new SharedArrayBuffer(Math.max(8, layout.metricsSlots * 8));
  return { control, rings, metrics };
}

/** Typed views over the shared buffers, the same on every thread. */
export class SharedViews {
  readonly control: Int32Array;
  readonly doorbells: Doorbells;
  readonly metrics: Float64Array;
  private readonly startTime: Float64Array;
  /**
   * Each source partition's watermark and status (kPartition…), for watermark alignment and its
   * metric. Plain (non-atomic) Float64 loads and stores: one writer per pair, and the values are
   * advisory — a reader that sees a slightly old watermark or status pauses or resumes a partition
   * one check later, never wrongly for long, because the watermark only grows and the owner
   * rewrites both every loop round. A torn pair (new watermark, old status) is as harmless.
   * (A Float64 store is not guaranteed single-copy atomic in JS; V8 on x64/arm64 does it with one
   * 8-byte move, and a torn value would again only delay a decision by one round.)
   */
  readonly partitionWatermarks: Float64Array;
  /** The doorbell id of the coordinator thread. */
  readonly coordinatorId: number;
  private readonly ringBytes: number;

  constructor(
    readonly buffers: SharedBuffers,
    readonly layout: SharedLayout,
  ) {
    this.control = new Int32Array(buffers.control, 0, controlSlots(layout.parallelism));
    this.doorbells = new Doorbells(buffers.control, doorbellOffset(layout.parallelism), layout.parallelism + 1);
    this.metrics = new Float64Array(buffers.metrics);
    this.startTime = new Float64Array(buffers.control, startTimeOffset(layout.parallelism), 1);
    this.partitionWatermarks = new Float64Array(buffers.control, startTimeOffset(layout.parallelism) + 8, layout.partitions * kPartitionSlots);
    this.coordinatorId = layout.parallelism;
    this.ringBytes = ringByteLength(layout.ringCapacityBytes);
  }

  private ringOffset(exchange: number, from: number, to: number): number {
    const n = this.layout.parallelism;
    return ((exchange * n + from) * n + to) * this.ringBytes;
  }

  writer(exchange: number, from: number, to: number): RingWriter {
    return new RingWriter(this.buffers.rings, this.ringOffset(exchange, from, to), this.doorbells, to, from);
  }

  reader(exchange: number, from: number, to: number): RingReader {
    return new RingReader(this.buffers.rings, this.ringOffset(exchange, from, to), this.doorbells, to, from);
  }

  /** The ring's fill level from its header alone (published head − tail). */
  ringUsedBytes(exchange: number, from: number, to: number): number {
    return ringUsedBytes(this.buffers.rings, this.ringOffset(exchange, from, to));
  }

  /**
   * The job's start (epoch ms), set once by the coordinator when every worker is ready; NaN before.
   * The plain Float64 store happens before the seq-cst store of kStarted, and readers load kStarted
   * first, so a reader that sees kStarted = 1 sees the time (as with a ring's head and its frames).
   */
  startedAtMs(): number {
    return Atomics.load(this.control, kStarted) === 0 ? NaN : this.startTime[0];
  }

  markStarted(atMs: number): void {
    this.startTime[0] = atMs;
    this.raise(kStarted);
  }

  flag(slot: number): number {
    return Atomics.load(this.control, slot);
  }

  /** Sets a flag and wakes every thread so it is seen at once. */
  raise(slot: number, value = 1): void {
    Atomics.store(this.control, slot, value);
    this.doorbells.ringAll();
  }
}

/** Throws out of a worker's loop once the abort flag is up: another part of the job failed. */
export function throwIfAborted(views: SharedViews, worker: number): void {
  if (views.flag(kAbort) !== 0) throw new WeirError('WEIR_ABORTED', `worker ${worker} stopped: another part of the job failed`, { worker });
}


// ---- Messages -------------------------------------------------------------

export interface WorkerTask {
  worker: number;
  jobUrl: string;
  options: ResolvedOptions;
  buffers: SharedBuffers;
  layout: SharedLayout;
  /** With options.measureLatency: where this worker sends its latency snapshots (to the coordinator). */
  latencyPort?: MessagePort;
  /** With checkpoints: the port to the main thread's checkpointer (checkpointer.ts). */
  checkpointPort?: MessagePort;
  /** The checkpoint or savepoint this run resumes from. */
  restore?: RestorePoint;
  /** Where the main thread asks this worker about its keyed state (worker/state-queries.ts). */
  queryPort?: MessagePort;
  /** Micro-batch with checkpoints: the offset log's epochs to replay (empty: none); undefined: no offset log. */
  replay?: ReplayPlan;
}

export interface WorkerResult {
  worker: number;
  /** Each sink's result() by sink name. */
  results: Record<string, unknown>;
  /** With options.outputChecksum: this worker's checksum lanes (see OutputChecksum). */
  checksum?: [number, number, number];
}

/** Main thread → worker: the directory checkpoint `id` goes into (posted before it is triggered). */
export interface CheckpointPrepared {
  type: 'prepared';
  id: number;
  dir: string;
}

/** Worker → main thread: this worker's part of checkpoint `id` is durable. */
export interface CheckpointAck {
  type: 'ack';
  id: number;
  worker: number;
  /** This worker's state: a full snapshot, then the deltas after it (restored in this order). */
  stateFiles: StateFileRef[];
  /** Bytes of state this checkpoint wrote (the rest of stateFiles were linked from earlier ones). */
  writtenBytes: number;
  /** The state written is a delta (incremental), not a full snapshot. */
  delta: boolean;
  /** stateFiles start with a full snapshot newly merged from the earlier ones (incremental, LMDB). */
  merged: boolean;
  sourcePositions: SourcePosition[];
  sinkNotes: SinkNote[];
  /** Micro-batch: the epoch at whose end this worker took its part (0 in continuous mode). */
  epoch: number;
  /** When this worker saw the checkpoint triggered (epoch ms, nowMs; micro-batch: the epoch end). */
  startedMs: number;
  /** From injecting the checkpoint to the snapshot (continuous mode: barrier alignment). */
  alignmentMs: number;
  /** From the snapshot's start to its file being written. */
  snapshotMs: number;
}

/** Worker → main thread: this worker could not take its part of checkpoint `id`. */
export interface CheckpointDeclined {
  type: 'declined';
  id: number;
  worker: number;
  error: PlainError;
}

export interface CoordinatorData {
  buffers: SharedBuffers;
  layout: SharedLayout;
  options: ResolvedOptions;
  /** With options.measureLatency: one port per worker, on which it sends its latency snapshots. */
  latencyPorts?: MessagePort[];
  /** Metrics slots holding the records each sink has received, over all workers. */
  sinkRecordSlots: number[];
}

/** What the coordinator's task returns when the job ends (measureLatency only). */
export interface CoordinatorReport {
  latency: LatencySnapshot;
  /** Records/s reaching the sinks, sampled every limits.throughputSampleIntervalMs from the start. */
  throughputOverTime: Array<{ tMs: number; recordsPerSec: number }>;
}
