import type { Codec } from '../channel/codec.ts';
import { objectCodec } from '../channel/object-codec.ts';
import type { ExecutionMode, JobSettings, RestartStrategy, StateBackendKind } from '../api/job.ts';
import { WeirError } from '../errors.ts';
import { errorPolicies, type ErrorPolicy } from '../api/graph.ts';
import { resolve as resolvePath } from 'node:path';
import { limits } from '../limits.ts';
import { checkKnownKeys, type KeySet } from '../util/known-keys.ts';
import { restartStrategyProblem } from './job/restart.ts';
import type { HttpOptions } from '../http/endpoint.ts';

/** What run() and `weir run` accept; anything left out comes from the job's settings, then defaults. */
export interface RunOptions extends Omit<JobSettings, 'codec'> {
  params?: Record<string, string>;
  /** Directory for this run's files (dead letters, sink output by default). Default: a new temp dir. */
  workDir?: string;
  /** Record per-record latency in HDR histograms (the harness turns this on). */
  measureLatency?: boolean;
  /** With measureLatency: records created in the first warmupMs are not measured. */
  warmupMs?: number;
  /** Compute an order-insensitive checksum of everything the sinks receive. */
  outputChecksum?: boolean;
  /**
   * Run on the idle threads an earlier job or attempt of this process left, when it ended normally
   * (default true; job/thread-pools.ts): a job then does not pay for starting its threads. false:
   * new threads, destroyed when the job ends.
   */
  reuseThreads?: boolean;
  /** Where checkpoints go (`<stateDir>/checkpoints/`) and are resumed from; relative to the current directory. Default: the work dir. */
  stateDir?: string;
  /**
   * Where a checkpointing job starts: 'latest' (default: the newest usable checkpoint in the
   * state dir, else empty — as Spark resumes from its checkpoint location), 'none' (start empty;
   * existing checkpoints are kept and later ids continue after them), a checkpoint id, a savepoint
   * name, or the path of a checkpoint or savepoint directory.
   */
  restoreFrom?: 'latest' | 'none' | number | string;
  /** Completed checkpoints to keep (default limits.checkpointsRetainedDefault). */
  checkpointsRetained?: number;
  /**
   * Resume from a checkpoint even when it was written by a job of another name, or holds state of
   * operators (by uid) this job does not have: that state is dropped and reported in
   * JobResult.restoredFrom.dropped (Flink's --allowNonRestoredState). Default false: refused.
   */
  allowNonRestoredState?: boolean;
  /**
   * Serve /metrics (Prometheus), /healthz and /readyz over HTTP while the job runs (default: off).
   * Listens on 127.0.0.1 unless `host` says otherwise; port 0 picks a free port (JobHandle.http).
   */
  http?: HttpOptions;
}

/** Options after defaults, validated; identical on every thread. */
export interface ResolvedOptions {
  jobName: string;
  mode: ExecutionMode;
  parallelism: number;
  microBatchIntervalMs: number;
  microBatchRecordsMax: number;
  /** Continuous mode: sinks are flushed at least this often while the worker is busy. */
  sinkFlushIntervalMs: number;
  keyGroups: number;
  keyGroupAssigner: 'hash' | 'kafka';
  ringCapacityBytes: number;
  stateBackend: StateBackendKind;
  params: Record<string, string>;
  workDir: string;
  measureLatency: boolean;
  warmupMs: number;
  outputChecksum: boolean;
  reuseThreads: boolean;
  /** 0: no checkpoints. */
  checkpointIntervalMs: number;
  stateDir: string;
  restoreFrom: 'latest' | 'none' | number | string;
  checkpointsRetained: number;
  allowNonRestoredState: boolean;
  restartStrategy: RestartStrategy;
  /** The job-wide error policy (an operator's own onError wins). */
  onError: ErrorPolicy;
}

const jobSettingKeys = {
  name: true,
  parallelism: true,
  mode: true,
  microBatchIntervalMs: true,
  microBatchRecordsMax: true,
  sinkFlushIntervalMs: true,
  codec: true,
  keyGroups: true,
  keyGroupAssigner: true,
  ringCapacityBytes: true,
  stateBackend: true,
  checkpointIntervalMs: true,
  restartStrategy: true,
  onError: true,
} as const satisfies KeySet<JobSettings>;

const { codec: _codec, ...settingsRunTakes } = jobSettingKeys;
const runOptionKeys = {
  ...settingsRunTakes,
  params: true,
  workDir: true,
  measureLatency: true,
  warmupMs: true,
  outputChecksum: true,
  reuseThreads: true,
  stateDir: true,
  restoreFrom: true,
  checkpointsRetained: true,
  allowNonRestoredState: true,
  http: true,
} as const satisfies KeySet<RunOptions>;

export function resolveOptions(
  settings: JobSettings,
  options: RunOptions,
  fallbackParallelism: number,
  workDir: string,
): ResolvedOptions {
  checkKnownKeys('run options', options, runOptionKeys);
  checkKnownKeys('defineJob settings', settings, jobSettingKeys, 'WEIR_JOB_DEFINITION');
  const merged = { ...settings, ...stripUndefined(options) };
  const resolved: ResolvedOptions = {
    jobName: merged.name ?? 'job',
    mode: merged.mode ?? 'continuous',
    parallelism: merged.parallelism ?? fallbackParallelism,
    microBatchIntervalMs: merged.microBatchIntervalMs ?? limits.microBatchIntervalMsDefault,
    microBatchRecordsMax: merged.microBatchRecordsMax ?? limits.microBatchRecordsMaxDefault,
    sinkFlushIntervalMs: merged.sinkFlushIntervalMs ?? limits.sinkFlushIntervalMs,
    keyGroups: merged.keyGroups ?? limits.keyGroupsDefault,
    keyGroupAssigner: merged.keyGroupAssigner ?? 'hash',
    ringCapacityBytes: merged.ringCapacityBytes ?? limits.ringCapacityBytes,
    stateBackend: merged.stateBackend ?? 'lmdb',
    params: options.params ?? {},
    workDir,
    measureLatency: options.measureLatency ?? false,
    warmupMs: options.warmupMs ?? 0,
    outputChecksum: options.outputChecksum ?? false,
    reuseThreads: options.reuseThreads ?? true,
    checkpointIntervalMs: merged.checkpointIntervalMs ?? 0,
    // Relative to the current directory, as workDir is (not to the work dir: `--work-dir w
    // --state-dir s` means ./s, as a shell user reads it).
    stateDir: options.stateDir === undefined ? workDir : resolvePath(options.stateDir),
    restoreFrom: options.restoreFrom ?? 'latest',
    checkpointsRetained: options.checkpointsRetained ?? limits.checkpointsRetainedDefault,
    allowNonRestoredState: options.allowNonRestoredState ?? false,
    restartStrategy: merged.restartStrategy ?? (merged.checkpointIntervalMs ? limits.restartStrategyDefault : { kind: 'none' }),
    onError: merged.onError ?? 'fail',
  };
  validate(resolved);
  return resolved;
}

/**
 * The codec at exchanges: the job's own, or objectCodec (small flat records, numbers and strings in
 * binary, anything else as JSON; never longer than JSON past its small-record bound, so a JSON line
 * a source admitted against the exchange's size limit still crosses). One per worker: it learns
 * the shapes it sees.
 */
export function jobCodec(settings: JobSettings): Codec<unknown> {
  return settings.codec ?? objectCodec();
}

function validate(o: ResolvedOptions): void {
  const fail = (message: string) => {
    throw new WeirError('WEIR_CONFIG', message);
  };
  if (o.mode !== 'continuous' && o.mode !== 'micro-batch') fail(`mode must be continuous or micro-batch, not ${String(o.mode)}`);
  if (!Number.isInteger(o.parallelism) || o.parallelism < 1 || o.parallelism > limits.parallelismMax) {
    fail(`parallelism must be an integer from 1 to ${limits.parallelismMax}, not ${o.parallelism}`);
  }
  if (!(o.microBatchIntervalMs > 0)) fail(`microBatchIntervalMs must be > 0, not ${o.microBatchIntervalMs}`);
  if (!(o.microBatchRecordsMax >= 1)) fail(`microBatchRecordsMax must be ≥ 1, not ${o.microBatchRecordsMax}`);
  if (!(o.sinkFlushIntervalMs >= 0 && o.sinkFlushIntervalMs <= limits.sinkFlushIntervalMsMax)) fail(`sinkFlushIntervalMs must be from 0 to ${limits.sinkFlushIntervalMsMax}, not ${o.sinkFlushIntervalMs}`);
  if (!Number.isInteger(o.keyGroups) || o.keyGroups < o.parallelism || o.keyGroups > limits.keyGroupsMax) {
    fail(`keyGroups must be an integer from parallelism (${o.parallelism}) to ${limits.keyGroupsMax}, not ${o.keyGroups}`);
  }
  if (o.keyGroupAssigner !== 'hash' && o.keyGroupAssigner !== 'kafka') fail(`keyGroupAssigner must be hash or kafka, not ${String(o.keyGroupAssigner)}`);
  if (o.stateBackend !== 'lmdb' && o.stateBackend !== 'heap') fail(`stateBackend must be lmdb or heap, not ${String(o.stateBackend)}`);
  if (!(o.warmupMs >= 0)) fail(`warmupMs must be ≥ 0, not ${o.warmupMs}`);
  if (!(o.checkpointIntervalMs >= 0) || (o.checkpointIntervalMs > 0 && o.checkpointIntervalMs < limits.checkpointIntervalMsMin)) {
    fail(`checkpointIntervalMs must be 0 (off) or at least ${limits.checkpointIntervalMsMin}, not ${o.checkpointIntervalMs}`);
  }
  if (!Number.isInteger(o.checkpointsRetained) || o.checkpointsRetained < 1) fail(`checkpointsRetained must be an integer ≥ 1, not ${o.checkpointsRetained}`);
  if (typeof o.allowNonRestoredState !== 'boolean') fail(`allowNonRestoredState must be true or false, not ${JSON.stringify(o.allowNonRestoredState)}`);
  const problem = restartStrategyProblem(o.restartStrategy);
  if (problem) fail(`restartStrategy: ${problem}`);
  if (!errorPolicies.includes(o.onError)) fail(`onError must be fail or dead-letter, not ${String(o.onError)}`);
  const cap = o.ringCapacityBytes;
  if (cap < limits.ringCapacityBytesMin || cap > limits.ringCapacityBytesMax || (cap & (cap - 1)) !== 0) {
    fail(`ringCapacityBytes must be a power of two from ${limits.ringCapacityBytesMin} to ${limits.ringCapacityBytesMax}, not ${cap}`);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
