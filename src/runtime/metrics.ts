/**
 * Metrics live in shared memory: each worker owns a block of Float64 slots that it refreshes from
 * its local counters every limits.metricsIntervalMs (and at the end); the main thread reads them
 * whenever it is asked, without messages. Per worker:
 *   [nodes × (recordsIn, recordsOut, deadLetters, skipped)] [exchanges × parallelism × blockedMs] [misc]
 *   [nodes × watermark] [latency buckets] [latency sum]
 */
import type { OperatorCounters } from './worker/chain.ts';
import type { CheckpointStats } from './job/checkpointer.ts';
import { latencyBucketBoundsMs, type LatencyHistogram, type SinkLatency } from './instrumentation/sink-latency.ts';

export const kMiscDeadLetters = 0;
export const kMiscParks = 1;
export const kMiscEpochs = 2;
export const kMiscUpdatedAtMs = 3;
/** 1 once the worker takes part in no further epoch (its input ended): its count no longer bounds the job's. */
export const kMiscEpochsOver = 4;
export const kMiscConnectionRetries = 5;
const kMiscSlots = 6;
/** Slots per node: recordsIn, recordsOut, deadLetters, skipped. */
const kNodeSlots = 4;

export class MetricsLayout {
  readonly perWorker: number;
  /** After the workers' blocks: one slot per source partition (in plan order), its lag, written by the worker that owns it. */
  private readonly lagBase: number;
  private readonly partitionBase: number[];

  constructor(
    readonly nodes: number,
    readonly exchanges: number,
    readonly parallelism: number,
    /** Partitions of each source of the plan, in plan.sources order. */
    sourcePartitions: number[] = [],
  ) {
    this.perWorker = nodes * kNodeSlots + exchanges * parallelism + kMiscSlots + nodes + latencyBucketBoundsMs.length + 1;
    this.lagBase = this.perWorker * parallelism;
    let next = 0;
    this.partitionBase = sourcePartitions.map((n) => ((next += n), next - n));
    this.totalPartitions = next;
  }

  private readonly totalPartitions: number;

  get totalSlots(): number {
    return this.perWorker * this.parallelism + this.totalPartitions;
  }

  /** Records of partition `partition` of the plan's `source`-th source not read yet (NaN: the source cannot tell). */
  lag(source: number, partition: number): number {
    return this.lagBase + this.partitionBase[source] + partition;
  }

  recordsIn(worker: number, node: number): number {
    return worker * this.perWorker + node * kNodeSlots;
  }

  recordsOut(worker: number, node: number): number {
    return worker * this.perWorker + node * kNodeSlots + 1;
  }

  /** Records the operator sent to the dead letters (a source: those it could not read). */
  deadLetters(worker: number, node: number): number {
    return worker * this.perWorker + node * kNodeSlots + 2;
  }

  /** Input a source read that carries no record (a blank line). */
  skipped(worker: number, node: number): number {
    return worker * this.perWorker + node * kNodeSlots + 3;
  }

  blockedMs(worker: number, exchange: number, target: number): number {
    return worker * this.perWorker + this.nodes * kNodeSlots + exchange * this.parallelism + target;
  }

  misc(worker: number, slot: number): number {
    return worker * this.perWorker + this.nodes * kNodeSlots + this.exchanges * this.parallelism + slot;
  }

  /** The event-time watermark that reached the node on this worker (−∞ before the first). */
  watermark(worker: number, node: number): number {
    return this.misc(worker, kMiscSlots) + node;
  }

  /** Records of the end-to-end latency histogram's bucket `bucket` on this worker (sink-latency.ts); not cumulative. */
  latencyBucket(worker: number, bucket: number): number {
    return this.misc(worker, kMiscSlots) + this.nodes + bucket;
  }

  latencySumMs(worker: number): number {
    return this.latencyBucket(worker, latencyBucketBoundsMs.length);
  }
}

/** A worker's local counters, as it keeps them between refreshes. */
export interface WorkerCounters {
  operators: OperatorCounters[];
  /** [exchange × parallelism + target] */
  blockedMs: Float64Array;
  deadLetters: number;
  parks: number;
  /** Micro-batch: the id of the last epoch this worker completed (ids go on from a restored checkpoint's). */
  lastEpochCompleted: number;
  epochsOver: boolean;
  /** Retries of this thread's connectors while an outside system (a Kafka broker) could not be reached. */
  connectionRetries: number;
  /** Per node: the watermark that reached it on this worker. */
  watermarks: Float64Array;
  latency: SinkLatency;
}

/** Copies a worker's counters into its block of shared slots (only that worker writes them). */
export function writeWorkerMetrics(m: Float64Array, layout: MetricsLayout, worker: number, nowMs: number, c: WorkerCounters): void {
  for (let id = 0; id < c.operators.length; id++) {
    m[layout.recordsIn(worker, id)] = c.operators[id].recordsIn;
    m[layout.recordsOut(worker, id)] = c.operators[id].recordsOut;
    m[layout.deadLetters(worker, id)] = c.operators[id].deadLetters;
    m[layout.skipped(worker, id)] = c.operators[id].skipped;
  }
  for (let e = 0; e < layout.exchanges; e++) {
    for (let t = 0; t < layout.parallelism; t++) m[layout.blockedMs(worker, e, t)] = c.blockedMs[e * layout.parallelism + t];
  }
  m[layout.misc(worker, kMiscDeadLetters)] = c.deadLetters;
  m[layout.misc(worker, kMiscParks)] = c.parks;
  m[layout.misc(worker, kMiscEpochs)] = c.lastEpochCompleted;
  m[layout.misc(worker, kMiscEpochsOver)] = c.epochsOver ? 1 : 0;
  m[layout.misc(worker, kMiscConnectionRetries)] = c.connectionRetries;
  for (let id = 0; id < c.watermarks.length; id++) m[layout.watermark(worker, id)] = c.watermarks[id];
  for (let b = 0; b < c.latency.counts.length; b++) m[layout.latencyBucket(worker, b)] = c.latency.counts[b];
  m[layout.latencySumMs(worker)] = c.latency.sumMs;
  m[layout.misc(worker, kMiscUpdatedAtMs)] = nowMs;
}

export interface OperatorMetrics {
  name: string;
  kind: string;
  recordsIn: number;
  recordsOut: number;
  /**
   * Records this operator sent to the dead letters: that a source could not read, that a function
   * failed on under onError 'dead-letter', that user code dead-lettered, that went to a side output
   * nobody reads.
   */
  deadLetters: number;
  /** A source's input that carries no record (a blank line of a JSON-lines file); 0 for others. */
  skipped: number;
  /** Records out per second over about the last second (see metrics-reader.ts: rates). */
  recordsOutPerSec: number;
  recordsInPerSec: number;
  /**
   * Event time: the lowest watermark that reached this operator over its workers (a source: the
   * one it emitted), epoch ms; undefined before every worker had one. Idle inputs hold nobody back.
   */
  watermarkMs?: number;
  /** Wall clock minus watermarkMs: how far event time is behind (undefined with no watermark). */
  watermarkLagMs?: number;
  /** Per worker (subtask), same order as workers. */
  perWorker: Array<{ recordsIn: number; recordsOut: number; watermarkMs?: number }>;
}

export interface ChannelMetrics {
  exchange: string;
  from: number;
  to: number;
  /** Bytes waiting in the ring now, and as a share of its capacity. */
  usedBytes: number;
  occupancy: number;
  /** Total time the sender spent blocked because this ring was full. */
  blockedMs: number;
}

export interface SourcePartitionMetrics {
  source: string;
  partition: number;
  worker: number;
  records: number;
  /** Rate since the previous metrics() call (or since the start). */
  recordsPerSec: number;
  /** Records in the partition not read yet (Kafka: high watermark − position); undefined when the source cannot tell. */
  lag?: number;
}

/**
 * Where a job is: 'starting' until every worker of the first attempt has passed the start gate
 * (job.ready), 'running', 'stopping' once stop() was called (sources stop, what was read drains),
 * 'restarting' from a failure the restart strategy retries until the new attempt is ready, then
 * 'finished' or 'failed'.
 */
export type JobState = 'starting' | 'running' | 'stopping' | 'finished' | 'failed' | 'restarting';

export interface JobMetrics {
  /** Since the current attempt's start gate opened (before that: since it was submitted). */
  elapsedMs: number;
  /** The job's state (set by run()'s handle; absent from a bare reading of the shared counters). */
  state?: JobState;
  /** From run() to the first attempt's readiness; while starting, so far. */
  startupMs?: number;
  /** From the first readiness on, restarts included; 0 while starting. */
  runMs?: number;
  operators: OperatorMetrics[];
  channels: ChannelMetrics[];
  sources: SourcePartitionMetrics[];
  deadLetters: number;
  /** Micro-batch: epochs this run completed, restarts included (0 in continuous mode): those completed by every worker still taking part. */
  epochsCompleted: number;
  /** Retries of sources and sinks (Kafka) while their broker could not be reached (this attempt; see connection-retry.ts). */
  connectionRetries: number;
  /**
   * Watermark alignment, per group (a source's own partitions by default): how far apart in event
   * time its counted partitions' watermarks are now (max − min, idle and ended ones excluded), and
   * which partitions are paused because they are more than maxDriftMs ahead of the slowest.
   */
  watermarkAlignment: WatermarkAlignmentMetrics[];
  /** With checkpoints: completed count, the last one's id, duration, alignment and bytes (of the current attempt). */
  checkpoints?: CheckpointStats;
  /** Every restart of the job so far, with its cause. */
  restarts?: RestartRecord[];
  /** End-to-end latency, source creation → sink write, over the current attempt (sink-latency.ts). */
  latency: LatencyHistogram;
}

export interface WatermarkAlignmentMetrics {
  group: string;
  maxDriftMs: number;
  driftMs: number;
  pausedPartitions: Array<{ source: string; partition: number }>;
}

export interface RestartRecord {
  atMs: number;
  code: string;
  cause: string;
  /** The failure was an outage that outlasted a connector's retries (transient), not a fault of the job or of weir. */
  retriable: boolean;
  /** The checkpoint the restarted attempt resumed from (undefined: from where the run began, or empty). */
  restoredFromId?: number;
  /** Micro-batch: the epochs after that checkpoint the attempt replays from the offset log, as they were cut. */
  replayedEpochs?: number;
}
