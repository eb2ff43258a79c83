/**
 * The contracts between connectors and the runtime. A connector is described on every thread by
 * the same job module; `open` is called inside the worker thread that owns the partition (source)
 * or the subtask (sink), so nothing here ever crosses a thread boundary.
 */

/** Where a record came from: enough to name it in an error and to replay from it. */
export type Offset = number;

export interface SourceOutput<T> {
  /**
   * Hands one record to the runtime.
   * @param timestampMs event time in epoch ms, or NaN when the record has none.
   * @param createdMs when the record came into being (epoch ms, fractional), for latency; NaN if unknown.
   */
  emit(value: T, offset: Offset, timestampMs: number, createdMs: number): void;
  /** A record that could not be read goes here with the reason; it is counted, never dropped silently. */
  deadLetter(raw: string, reason: string, offset: Offset): void;
  /**
   * Input read that carries no record (a blank line): counted as the source's `skipped`, so that
   * what was read = emitted + dead-lettered + skipped. Not counted in poll()'s return value.
   */
  skip?(offset: Offset): void;
}

export interface SourceContext {
  partition: number;
  parallelism: number;
  /** Job-scoped working directory (exists; private to this run). */
  workDir: string;
  /** When the job started (epoch ms), the same on every thread: a schedule that must agree across partitions starts here. */
  startMs: number;
  /** High-resolution epoch time in ms; use this rather than Date.now() so every thread agrees. */
  nowMs(): number;
  /**
   * The largest encoded record this job's exchanges carry (limits.exchangeRecordBytesMax of its
   * ringCapacityBytes): a source refuses larger records where they enter. Absent: the default ring's.
   */
  recordBytesMax?: number;
}

/** The end of a bounded partition. */
export const END = -1;

export interface SourceReader<T> {
  /**
   * Emits up to `max` records that are available now, through `out`.
   * Returns how many were emitted (dead letters count too), or END once the partition is exhausted
   * and nothing more will come. May return a promise (network sources); synchronous is faster.
   */
  poll(max: number, out: SourceOutput<T>): number | Promise<number>;
  /**
   * After a poll that returned 0: how many ms until records are expected (a rate-limited generator
   * knows exactly). Undefined means unknown; the runtime backs off on its own.
   */
  idleMs?(): number | undefined;
  /**
   * For readers fed by network I/O on the worker's own event loop (Kafka): after a poll that
   * returned 0, a promise that settles when records (or a failure) may be there. A worker with
   * such a reader waits by letting its event loop run instead of blocking the thread, and while
   * busy it yields to the event loop at least every limits.eventLoopYieldIntervalMs — otherwise
   * no network callback would ever run in that thread.
   */
  whenReady?(): Promise<void>;
  /** A JSON-serialisable position from which `open` can resume (for checkpoints). */
  position(): unknown;
  /**
   * A checkpoint holding `position` (a value this reader's position() returned) is complete:
   * publish it outside weir (Kafka: commit it as the consumer group's offset) so lag tooling sees
   * the job's progress. Informational only — weir resumes from its own checkpoints, never from
   * what was committed here.
   */
  commitPosition?(position: unknown): void | Promise<void>;
  /** Records in the partition after position() that have not been emitted yet (Kafka: high watermark − position, as of the last fetch). */
  lag?(): number;
  close(): void | Promise<void>;
}

export interface SourceSpec<T> {
  readonly kind: string;
  /** How many partitions this source has; the job's parallelism defaults to it. */
  partitions(): number;
  /** Opens one partition, inside the worker thread that owns it; `from` is a position() to resume at. */
  open(partition: number, ctx: SourceContext, from?: unknown): SourceReader<T> | Promise<SourceReader<T>>;
}

export interface SinkContext {
  /** Index of this sink instance (= worker index); sinks run with the job's parallelism. */
  subtask: number;
  parallelism: number;
  workDir: string;
  nowMs(): number;
  /**
   * Set when the job resumes from a checkpoint: what every subtask of this sink pre-committed at
   * that checkpoint. A two-phase-commit sink's open() must first commit the notes it is
   * responsible for — those with `subtask % parallelism === ctx.subtask` — because the checkpoint
   * completed even if its commit never happened (the crash may have come in between), and abort
   * whatever else earlier attempts left pending. Commits must be idempotent.
   */
  recovery?: SinkRecovery;
  /** A stable id of this sink in the job (its operator uid): prefix of transactional ids, file names … */
  sinkUid: string;
}

export interface SinkRecovery {
  checkpointId: number;
  notes: Array<{ subtask: number; note: JsonValue }>;
}

import type { JsonValue } from '../util/json-value.ts';
export type { JsonValue };

export interface SinkWriter<T> {
  write(value: T, timestampMs: number, createdMs: number): void;
  /** Makes everything written so far durable/visible. Called at each epoch end, when the stream idles, and before close. */
  flush(): void | Promise<void>;
  close(): void | Promise<void>;
  /** What the sink hands back to the job's caller when the job ends (e.g. collected records). */
  result?(): unknown;
  /**
   * Two-phase commit, the first phase (Flink's TwoPhaseCommitSinkFunction.preCommit): the barrier
   * of checkpoint `checkpointId` reached this subtask. Make everything written since the previous
   * pre-commit durable but not yet visible, start a new transaction for what follows, and return a
   * note naming what is pending (a transactional id, file names …). The note is stored in the
   * checkpoint. Only sinks whose spec says `guarantee: 'exactly-once'` implement it. `context`
   * carries the source positions of the same cut (see PreCommitContext).
   */
  preCommit?(checkpointId: number, context?: PreCommitContext): JsonValue | Promise<JsonValue>;
  /**
   * The second phase: checkpoint `checkpointId` is complete; make every transaction pre-committed
   * up to it visible. Idempotent: after a recovery it may be replayed for the same checkpoint.
   */
  commit?(checkpointId: number): void | Promise<void>;
}

/**
 * What a sink learns at pre-commit besides the checkpoint id: the positions this worker's source
 * partitions noted at the same cut — the positions checkpoint `checkpointId` will hold for them,
 * and up to which the records this subtask wrote since the previous cut were read (records of
 * other workers' partitions reach it through exchanges; those are in their own subtasks' notes).
 * A Kafka sink commits them as the consumer group's offsets inside its transaction (Kafka's
 * consume–transform–produce), so offsets and output become visible together.
 */
export interface PreCommitContext {
  sourcePositions: ReadonlyArray<{ operatorUid: string; partition: number; position: JsonValue }>;
}

/**
 * 'at-least-once' (the default): flush() makes output visible, so after a recovery the records
 * between the last checkpoint and the failure are written again. 'exactly-once': the writer
 * implements preCommit/commit, and output becomes visible only when a checkpoint completes.
 */
export type SinkGuarantee = 'at-least-once' | 'exactly-once';

export interface SinkSpec<T> {
  readonly kind: string;
  /** A stable name; results and metrics are reported under it. */
  readonly name: string;
  readonly guarantee?: SinkGuarantee;
  open(ctx: SinkContext): SinkWriter<T> | Promise<SinkWriter<T>>;
}
