/**
 * The benchmark report: one JSON document per `weir bench` run, from which the Markdown summary,
 * the HTML page and `weir report compare` are all derived. Latencies are in milliseconds;
 * histograms are HDR histograms of microseconds, encoded with hdr-histogram-js
 * `encodeIntoCompressedBase64` (decode with `decodeFromCompressedBase64`).
 */
export const reportSchema = 'weir-bench/2';

export type BenchMode = 'continuous' | 'micro-batch';

import type { LatencySummary } from '../runtime/instrumentation/latency-merge.ts';
export type { LatencySummary };

/** One trial: one run of the job in one mode at one offered rate. */
export interface BenchRun {
  mode: BenchMode;
  offeredRatePerSec: number;
  /** 1 … config.repeat: trials of the same point, in the order they ran (modes interleaved). */
  trial: number;
  /** Events the sources read per second of the measured window (input, before any filter). */
  inputRatePerSec: number;
  /** Records per second that reached the sinks during the measured window (output, after the job's filters). */
  outputRatePerSec: number;
  /** The job finished within lateFinishAllowanceMs of its schedule: its backlog did not grow. */
  onSchedule: boolean;
  /** How long after its schedule the run finished (ms; negative: before). */
  lateMs: number;
  /** The one definition of "kept up" (bench-points.ts keptUp): on schedule and end-to-end p99 ≤ the p99 bound. */
  keptUp: boolean;
  warmupS: number;
  durationS: number;
  /** The measured window (s): from the end of the warm-up to the end of the schedule or until the sources last read a record, whichever is later. */
  measuredS: number;
  /** Input events of the measured window (read by the sources, created after the warm-up). */
  inputRecords: number;
  /** Output records measured (created after warm-up). */
  records: number;
  /** CPU time of the whole process (user + system, every thread) during the measured window. */
  cpu: CpuCost;
  /** CPU time other processes used during the measured window (/proc/stat minus this process); null where unreadable. */
  otherProcessesCpuS: number | null;
  /** The 1-minute load average when the run ended. */
  loadAverage1m: number;
  latency: {
    /** Creation (scheduled time, open loop) → visible in the sink's output (after its flush/commit). */
    endToEnd: LatencySummary;
    /**
     * Where the time went, each from the record's point of view (they add up to about endToEnd):
     * 'source' — scheduled → read by the source (backlog at the source: coordinated omission shows here);
     * 'rings' — waiting in exchange rings; 'windows' — a window result's newest element waiting in
     * its window until the firing (count 0 for jobs without windows); 'operators' — in operator
     * code; 'until-visible' — at the sink until its output is flushed/committed (micro-batch: until
     * the epoch ends).
     */
    stages: Record<string, LatencySummary>;
  };
  /** Records/s reaching the sinks, per second of the run (warm-up included, marked by tMs < warmupS·1000). */
  throughputOverTime: Array<{ tMs: number; recordsPerSec: number }>;
  /** Events/s the sources read, per whole second of the run (tMs: the end of the second; sampled every 100 ms). */
  inputOverTime: Array<{ tMs: number; eventsPerSec: number }>;
  /** Order-insensitive checksum of everything the sinks received (checksum.ts). Same seed + config ⇒ same checksum. */
  outputChecksum: string;
  /** The end-to-end histogram as an HdrHistogram percentile distribution, relative to report.json (written by writeReport). */
  hgrmFile?: string;
}

export interface CpuCost {
  userS: number;
  systemS: number;
  /** (user + system) seconds per million input events. */
  perMillionEventsS: number;
}

/** A figure over the trials of a point: the median and the spread. */
export interface TrialSpread {
  median: number;
  min: number;
  max: number;
}

export const pointFigures = ['p50Ms', 'p90Ms', 'p99Ms', 'p999Ms', 'maxMs', 'inputRatePerSec', 'outputRatePerSec', 'cpuSPerMillionEvents'] as const;
export type PointFigure = (typeof pointFigures)[number];

/** One (mode, offered rate) point: its trials summed up. */
export interface BenchPoint {
  mode: BenchMode;
  offeredRatePerSec: number;
  trials: number;
  /** Every trial kept up (BenchRun.keptUp). */
  keptUp: boolean;
  /** Trials that kept up. */
  trialsKeptUp: number;
  figures: Record<PointFigure, TrialSpread>;
  /** The trial whose end-to-end p99 is the median: its histogram, stages and throughput stand for the point. */
  representativeTrial: number;
}

/** How busy the machine was: a benchmark on a busy machine measures the machine. */
export interface MachineLoad {
  /** os.loadavg() before the first run: [1, 5, 15 minutes]. */
  loadAverageBefore: number[];
  /** The 1-minute load average at the end of each run: mean and highest. */
  loadAverageDuring: { mean: number; max: number };
  /** CPU seconds other processes used during the measured windows, and that as cores busy on average; null where /proc/stat is unreadable. */
  otherProcessesCpuS: number | null;
  otherProcessesCores: number | null;
  /** The CPU frequency governors (scaling_governor), where readable. */
  cpuGovernors: string[] | null;
  /** Why the machine counts as busy; empty when it was not. */
  warnings: string[];
}

export interface BenchEnvironment {
  gitCommit: string | null;
  node: string;
  v8: string;
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  os: string;
  platform: string;
  arch: string;
  /** weir's package version. */
  weirVersion: string;
  /** Filled in once the runs are over. */
  load?: MachineLoad;
}

export interface BenchConfig {
  job: string;
  params: Record<string, string>;
  modes: BenchMode[];
  /** Offered loads swept, events/s. */
  ratesPerSec: number[];
  warmupS: number;
  durationS: number;
  parallelism: number;
  microBatchIntervalMs: number;
  seed: number;
  /** p99 bound (ms) for the maximum sustainable throughput. */
  p99BoundMs: number;
  /** Checkpoint interval given to every run (ms); absent: the job's own setting. */
  checkpointIntervalMs?: number;
  /** Set when the load came from this Kafka topic (produced at the fixed rate during the run) instead of the embedded generator. */
  kafka?: { brokers: string[]; topic: string };
  /** Where the load came from: the job's generator (default), its own sources replayed open-loop, or Kafka. */
  load: 'generator' | 'replay' | 'kafka';
  /** Trials per (mode, rate) point. */
  repeat: number;
  /** SHA-256 of the job file (hex): identifies the job's own code, as environment.gitCommit identifies weir's. */
  jobSha256: string | null;
}

export interface BenchReport {
  schema: typeof reportSchema;
  createdAt: string;
  config: BenchConfig;
  environment: BenchEnvironment;
  /** Every trial, in the order they ran. */
  runs: BenchRun[];
  /** Per (mode, rate): the trials' median and spread. */
  points: BenchPoint[];
  /** Per mode: the highest offered rate whose point kept up, or null if none did. */
  maxSustainable: Partial<Record<BenchMode, { ratePerSec: number; p99Ms: number } | null>>;
  /** The output comparison, the micro-batch model (or why it is not shown), the machine's load. */
  notes: string[];
}
