import type { Codec } from '../channel/codec.ts';
import type { SinkSpec, SourceSpec } from '../connectors/types.ts';
import { WeirError } from '../errors.ts';
import { JobGraph, type ErrorPolicy } from './graph.ts';
import { DataStream, type OperatorOptions } from './stream.ts';
import type { WatermarkStrategy } from '../time/watermarks.ts';
import { registerJobLoaders } from '../loader/job-loaders.ts';
import { checkOperatorOptions, operatorOptionKeys } from './operator-options.ts';
import type { KeySet } from '../util/known-keys.ts';

export interface SourceOptions<T> extends OperatorOptions {
  /**
   * Event time for this source: where timestamps come from and how watermarks advance, per
   * partition. Records whose timestamp is missing or invalid go to the dead letters.
   */
  watermarks?: WatermarkStrategy<T>;
}

const sourceOptionKeys = { ...operatorOptionKeys, watermarks: true } as const satisfies KeySet<SourceOptions<unknown>>;

export type ExecutionMode = 'continuous' | 'micro-batch';

/** Settings a job may fix for itself; command-line flags and run() options override them. */
export interface JobSettings {
  name?: string;
  /** Worker threads; default: the largest partition count among the job's sources. */
  parallelism?: number;
  mode?: ExecutionMode;
  /** Micro-batch trigger interval (ms) and the records a batch takes per partition at most. */
  microBatchIntervalMs?: number;
  microBatchRecordsMax?: number;
  /**
   * Continuous mode: sinks are flushed (their output made visible) whenever a worker goes idle, and
   * at least this often (ms) while it is busy. Default limits.sinkFlushIntervalMs (50). A job whose
   * output must be visible within a few ms under steady load sets less: a file sink's flush is one
   * write call, a Kafka sink's one produce request.
   */
  sinkFlushIntervalMs?: number;
  /** Codec for records that cross workers at keyBy, unless keyBy names its own. Default objectCodec(). */
  codec?: Codec<unknown>;
  /** Number of key groups (the unit of routing and of state redistribution). */
  keyGroups?: number;
  /**
   * How a key finds its key group: 'hash' (default) or 'kafka' (Kafka's default partitioner over
   * `keyGroups` groups, so that key group = Kafka partition; see runtime/keys.ts).
   */
  keyGroupAssigner?: 'hash' | 'kafka';
  ringCapacityBytes?: number;
  /** Where keyed state lives: 'lmdb' (default; one LMDB environment per worker, write-back cache in front) or 'heap'. */
  stateBackend?: StateBackendKind;
  /**
   * Take a checkpoint this often (ms); 0 or absent: no checkpoints. In micro-batch mode the
   * checkpoint is taken at the end of the first epoch after the interval.
   */
  checkpointIntervalMs?: number;
  /** What to do when a worker or a user function fails (default: fixed delay, 3 attempts, when checkpointing; else none). */
  restartStrategy?: RestartStrategy;
  /**
   * What a record an operator fails on does, for every operator that sets no onError of its own:
   * 'fail' (default) fails the job; 'dead-letter' sends the record to the dead letters and goes on.
   */
  onError?: ErrorPolicy;
}

export type StateBackendKind = 'lmdb' | 'heap';

/**
 * Restart strategies (Flink's): after a failure every worker is stopped and the job starts again
 * from the last completed checkpoint, after a delay, at most `attempts` times; then it fails with
 * the last error. 'exponential-backoff' doubles the delay (× multiplier) up to maxDelayMs.
 */
export type RestartStrategy =
  | { kind: 'none' }
  | { kind: 'fixed-delay'; attempts: number; delayMs: number }
  | { kind: 'exponential-backoff'; attempts: number; initialDelayMs: number; maxDelayMs: number; multiplier?: number };

/** What the job's build function gets: sources, parameters and job-wide settings. */
export class StreamEnv {
  readonly graph = new JobGraph();

  constructor(
    /** Free-form parameters (`weir run job.ts --param rate=1000`). Always strings from the CLI. */
    readonly params: Readonly<Record<string, string>>,
  ) {}

  /** Adds a source; each of its partitions is pinned to one worker thread. */
  source<T>(spec: SourceSpec<T>, options: SourceOptions<T> = {}): DataStream<T> {
    // A misspelt `watermarks` would leave an event-time job without watermarks: windows that never fire.
    checkOperatorOptions('source', options, sourceOptionKeys);
    const watermarks = options.watermarks as WatermarkStrategy<unknown> | undefined;
    const node = this.graph.add({ kind: 'source', spec: spec as SourceSpec<unknown>, watermarks, name: options.name ?? spec.kind, uid: options.uid });
    return new DataStream<T>(this.graph, node.id);
  }

  /** Where records that cannot be read or timestamped go, with the reason (default: a JSON-lines file in the job's work dir). */
  deadLetterTo(sink: SinkSpec<unknown>): void {
    this.graph.deadLetterSink = sink;
  }

  /** A numeric parameter with a default. */
  numberParam(name: string, fallback: number): number {
    const raw = this.params[name];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new WeirError('WEIR_CONFIG', `parameter ${name}=${raw} is not a number`);
    return value;
  }
}

export interface JobDefinition {
  readonly kind: 'weir-job';
  readonly settings: JobSettings;
  build(env: StreamEnv): void;
}

/**
 * Declares a job. The module that calls it must `export default` the result: every worker thread
 * imports the same module and builds the same graph, so user functions never cross threads.
 */
export function defineJob(build: (env: StreamEnv) => void, settings: JobSettings = {}): JobDefinition {
  return { kind: 'weir-job', settings, build };
}

export function isJobDefinition(value: unknown): value is JobDefinition {
  return typeof value === 'object' && value !== null && (value as JobDefinition).kind === 'weir-job' && typeof (value as JobDefinition).build === 'function';
}

/**
 * A reserved job parameter: JSON `{ "<source name or uid>": [partitions…] }`. Only the listed
 * partitions of those sources are opened; the others are idle — they emit nothing and keep the
 * position they were opened at. The scale-out runner (scale-out/scale-out.ts) sets it to the Kafka
 * partitions the consumer group assigned to this process. Every thread applies it when it builds
 * the graph, so plans and partition numbers stay the same on all of them.
 */
export const sourcePartitionsParam = 'weir.sourcePartitions';

function restrictSourcePartitions(env: StreamEnv, spec: string | undefined): void {
  if (spec === undefined) return;
  let only: Record<string, number[]>;
  try {
    only = JSON.parse(spec) as Record<string, number[]>;
  } catch (cause) {
    throw new WeirError('WEIR_CONFIG', `parameter ${sourcePartitionsParam} is not JSON: ${(cause as Error).message}`, { cause });
  }
  for (const node of env.graph.nodes) {
    if (node.kind !== 'source') continue;
    const partitions = only[node.uid ?? node.name];
    if (partitions === undefined) continue;
    if (!Array.isArray(partitions) || !partitions.every((p) => Number.isInteger(p) && p >= 0)) {
      throw new WeirError('WEIR_CONFIG', `parameter ${sourcePartitionsParam}: source "${node.name}" needs an array of partition numbers`);
    }
    node.spec = onlyPartitions(node.spec, new Set(partitions));
  }
}

/** `spec` with every partition not in `keep` idle (see sourcePartitionsParam). */
function onlyPartitions<T>(spec: SourceSpec<T>, keep: Set<number>): SourceSpec<T> {
  return {
    kind: spec.kind,
    partitions: () => spec.partitions(),
    open: (partition, ctx, from) => {
      if (keep.has(partition)) return spec.open(partition, ctx, from);
      const position = from ?? null;
      return { poll: () => 0, idleMs: () => undefined, position: () => position, close: () => {} };
    },
  };
}

/** How often this thread has imported each job module (by URL) afresh: see loadJob. */
const freshImports = new Map<string, number>();

/**
 * The URL to import a job module afresh from: the module itself, the first time; then the same file
 * under a new query, which Node loads as a new module instance (the modules it imports stay the
 * same instances).
 */
function freshImportUrl(jobUrl: string): string {
  const imports = (freshImports.get(jobUrl) ?? 0) + 1;
  freshImports.set(jobUrl, imports);
  if (imports === 1 || !jobUrl.startsWith('file:')) return jobUrl;
  const url = new URL(jobUrl);
  url.searchParams.set('weir-import', String(imports));
  return url.href;
}

/**
 * Imports a job module (any thread) and builds its graph. `fresh`: a new instance of the module
 * even if this thread imported it before — a worker thread serves one job after another
 * (runtime/job/thread-pools.ts), and each task's job module starts with its own variables, as on a
 * new thread.
 */
export async function loadJob(jobUrl: string, params: Record<string, string>, fresh = false): Promise<{ definition: JobDefinition; env: StreamEnv }> {
  let mod: { default?: unknown };
  try {
    await registerJobLoaders(jobUrl);
    mod = await import(fresh ? freshImportUrl(jobUrl) : jobUrl);
  } catch (cause) {
    throw new WeirError('WEIR_JOB_DEFINITION', `cannot import job module ${jobUrl}: ${(cause as Error).message}`, { cause });
  }
  const definition = mod.default;
  if (!isJobDefinition(definition)) {
    throw new WeirError('WEIR_JOB_DEFINITION', `${jobUrl} must \`export default defineJob(…)\``);
  }
  const env = new StreamEnv(params);
  definition.build(env);
  restrictSourcePartitions(env, params[sourcePartitionsParam]);
  if (!env.graph.nodes.some((n) => n.kind === 'source')) throw new WeirError('WEIR_JOB_DEFINITION', `${jobUrl}: the job has no source`);
  if (!env.graph.nodes.some((n) => n.kind === 'sink')) throw new WeirError('WEIR_JOB_DEFINITION', `${jobUrl}: the job has no sink`);
  return { definition, env };
}
