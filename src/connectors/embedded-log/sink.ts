/** logSink: a weir sink writing into an embedded log. */
import { WeirError } from '../../errors.ts';
import type { SinkContext, SinkSpec, SinkWriter } from '../types.ts';
import { RecordBatch } from './format.ts';
import { EmbeddedLog } from './log.ts';
import { checkKnownKeys, type KeySet } from '../../util/known-keys.ts';

/** A log sink writes its buffers out early once they hold this much (bounds its memory between flushes). */
const sinkPendingBytesMax = 4 << 20;

export interface LogSinkOptions<T> {
  dir: string;
  /** Partitions of the log when the sink creates it (default: the job's parallelism). Must match an existing log. */
  partitions?: number;
  /** Default `embedded-log:<dir>`. */
  name?: string;
  /** Chooses the partition among the subtask's own (see logSink); without it, round robin. */
  key?: (value: T) => string | number;
  /** fdatasync the written partitions at every flush (default false: flush = written to the OS). */
  fsync?: boolean;
}

const logSinkKeys = { dir: true, partitions: true, name: true, key: true, fsync: true } as const satisfies KeySet<LogSinkOptions<unknown>>;

/**
 * Writes values as JSON records into an embedded log, creating it if missing.
 *
 * Ownership rule (a partition must have a single writer): the log's partition count must be a
 * multiple of the sink's parallelism, and subtask s writes only the partitions p with
 * p % parallelism === s. Within those, `key` picks one by a stable hash
 * (p = s + parallelism × (hash(key) mod partitions/parallelism)); without a key the subtask goes
 * round robin over them. So the partition of a key is stable — and per-key order kept — when a
 * key always reaches the same subtask (the sink follows a keyBy); with partitions = parallelism
 * (the default) each subtask simply owns one partition. A log whose partition count breaks the
 * rule is refused with WEIR_CONFIG rather than written by two threads.
 *
 * Records are buffered per partition and appended with one write per partition at flush() (or
 * earlier when a buffer passes 4 MiB); `fsync: true` adds an fdatasync per flush.
 */
export function logSink<T>(opts: LogSinkOptions<T>): SinkSpec<T> {
  checkKnownKeys('logSink', opts, logSinkKeys);
  const name = opts.name ?? `embedded-log:${opts.dir}`;
  return {
    kind: 'embedded-log',
    name,
    open: (ctx) => new LogSinkWriter<T>(opts, name, ctx),
  };
}

/** The stable 32-bit hash of a key used by logSink: FNV-1a over String(key)'s UTF-16 code units, then a final mix. */
export function logKeyHash(key: string | number): number {
  const s = typeof key === 'string' ? key : String(key);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}

class LogSinkWriter<T> implements SinkWriter<T> {
  private readonly log: EmbeddedLog;
  private readonly owned: number[];
  private readonly batches: RecordBatch[];
  private readonly key: ((value: T) => string | number) | undefined;
  private pendingBytes = 0;
  private next = 0;

  constructor(
    private readonly opts: LogSinkOptions<T>,
    private readonly name: string,
    ctx: SinkContext,
  ) {
    const parallelism = ctx.parallelism;
    const want = opts.partitions ?? parallelism;
    if (want % parallelism !== 0) {
      throw new WeirError('WEIR_CONFIG', `logSink "${name}": ${want} partitions cannot be shared by ${parallelism} subtasks (partitions must be a multiple of the parallelism)`);
    }
    this.log = EmbeddedLog.openOrCreate(opts.dir, want);
    const have = this.log.partitions;
    if ((opts.partitions !== undefined && have !== opts.partitions) || have % parallelism !== 0) {
      this.log.close();
      throw new WeirError(
        'WEIR_CONFIG',
        `logSink "${name}": the log at ${opts.dir} has ${have} partitions; ` +
          (opts.partitions !== undefined && have !== opts.partitions
            ? `${opts.partitions} were asked for`
            : `a multiple of the parallelism ${parallelism} is needed (subtask s owns partitions p ≡ s mod ${parallelism})`),
      );
    }
    this.owned = [];
    for (let p = ctx.subtask; p < have; p += parallelism) this.owned.push(p);
    this.batches = this.owned.map(() => new RecordBatch(16 << 10));
    this.key = opts.key;
  }

  write(value: T): void {
    let j: number;
    const n = this.owned.length;
    if (this.key !== undefined) {
      let k: string | number;
      try {
        k = this.key(value);
      } catch (err) {
        throw new WeirError('WEIR_USER_FUNCTION', `logSink "${this.name}": the key function threw: ${(err as Error)?.message ?? err}`, {
          operator: this.name,
          cause: err,
        });
      }
      j = n === 1 ? 0 : logKeyHash(k) % n;
    } else {
      j = this.next;
      this.next = j + 1 === n ? 0 : j + 1;
    }
    const batch = this.batches[j];
    const before = batch.length;
    batch.addJson(value);
    this.pendingBytes += batch.length - before;
    if (this.pendingBytes > sinkPendingBytesMax) this.writeOut();
  }

  private writeOut(): void {
    for (let j = 0; j < this.batches.length; j++) {
      const batch = this.batches[j];
      if (batch.count === 0) continue;
      this.log.appendRecordBatch(this.owned[j], batch);
      batch.clear();
    }
    this.pendingBytes = 0;
  }

  flush(): void {
    this.writeOut();
    if (this.opts.fsync) this.log.sync(this.owned);
  }

  close(): void {
    try {
      this.flush();
    } finally {
      this.log.close();
    }
  }

  /** The partitions this subtask wrote. */
  partitions(): readonly number[] {
    return this.owned;
  }
}
