/**
 * The benchmark report: one JSON document per `weir bench` run, from which the Markdown summary,
 * the HTML page and `weir report compare` are all derived. Latencies are in milliseconds;
 * histograms are HDR histograms of microseconds, encoded with hdr-histogram-js
 * `encodeIntoCompressedBase64` (decode with `decodeFromCompressedBase64`).
 */
export const reportSchema = 'weir-bench/1';

export type BenchMode = 'continuous' | 'micro-batch';

import type { LatencySummary } from '../runtime/instrumentation/latency-merge.ts';
export type { LatencySummary };

export interface BenchRun {
  mode: BenchMode;
  offeredRatePerSec: number;
  /** Records per second that reached the sinks during the measured window. */
  achievedRatePerSec: number;
  /** The job kept up: backlog (offered − processed) did not grow over the measured window. */
  keptUp: boolean;
  warmupS: number;
  durationS: number;
  /** Records measured (after warm-up). */
  records: number;
  latency: {
    /** Creation (scheduled time, open loop) → visible in the sink's output (after its flush/commit). */
    endToEnd: LatencySummary;
    /**
     * Where the time went, each from the record's point of view (they add up to about endToEnd):
     * 'source' — scheduled → read by the source (backlog at the source: coordinated omission shows here);
     * 'rings' — waiting in exchange rings; 'windows' — a window result's newest element waiting in
     * its window until the firing (count 0 for jobs without windows); 'operators' — in operator
     * code; 'until-visible' — at the sink until its output is flushed/committed (micro-batch: until
     * the epoch ends). Reports written before 'windows' existed lack it.
     */
    stages: Record<string, LatencySummary>;
  };
  /** Records/s reaching the sinks, per second of the run (warm-up included, marked by tMs < warmupS·1000). */
  throughputOverTime: Array<{ tMs: number; recordsPerSec: number }>;
  /** Order-insensitive checksum of everything the sinks received (hex). Same seed + config ⇒ same checksum. */
  outputChecksum: string;
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
  /** Set when the load came from this Kafka topic (produced at the fixed rate during the run) instead of the embedded generator. */
  kafka?: { brokers: string[]; topic: string };
}

export interface BenchReport {
  schema: typeof reportSchema;
  createdAt: string;
  config: BenchConfig;
  environment: BenchEnvironment;
  runs: BenchRun[];
  /** Per mode: the highest offered rate that kept up with p99 ≤ the bound, or null if none did. */
  maxSustainable: Partial<Record<BenchMode, { ratePerSec: number; p99Ms: number } | null>>;
  /** The latency model's prediction for micro-batch and how far the measurement is from it. */
  notes: string[];
}
