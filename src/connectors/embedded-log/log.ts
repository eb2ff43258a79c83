/**
 * An embedded partitioned log on local files: Kafka's data model (partitions, record offsets
 * 0, 1, 2, … per partition, replay from any offset) without a broker. The files are described in
 * format.ts; how a partition is scanned, verified and repaired in partition.ts.
 *
 * Concurrency: one writer per partition at a time (no lock: two writers would overwrite each
 * other's records), any number of readers. Readers in other threads or processes see appended
 * records when they look again (`endOffset`, or a cursor in follow mode, rescans past the end
 * they knew). All I/O is synchronous: this runs inside worker threads, where that is fastest.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WeirError } from '../../errors.ts';
import { LogCursor, type LogCursorOptions } from './cursor.ts';
import {
  RecordBatch,
  embeddedLogFormat,
  embeddedLogVersion,
  headerBytes,
  logPartitionsMax,
  metaFile,
  partitionFile,
  type LogMeta,
} from './format.ts';
import { Partition, type LogRepair } from './partition.ts';

export interface EmbeddedLogOpenOptions {
  /** Open for reading only: nothing is ever written or truncated. */
  readOnly?: boolean;
  /** Called for each torn tail found (also listed in `log.repairs`). */
  onRepair?: (repair: LogRepair) => void;
}

export interface LogRecord {
  offset: number;
  payload: Uint8Array;
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}

/** An embedded partitioned log (see the module comment). One instance per thread. */
export class EmbeddedLog {
  readonly dir: string;
  readonly partitions: number;
  readonly readOnly: boolean;
  /** Torn tails found so far (partitions are opened lazily, on first use; `check()` opens all). */
  readonly repairs: LogRepair[] = [];
  private readonly onRepair: ((repair: LogRepair) => void) | undefined;
  private readonly parts: Array<Partition | undefined>;
  private closed = false;

  private constructor(dir: string, meta: LogMeta, opts: EmbeddedLogOpenOptions) {
    this.dir = dir;
    this.partitions = meta.partitions;
    this.readOnly = opts.readOnly ?? false;
    this.onRepair = opts.onRepair;
    this.parts = new Array<Partition | undefined>(meta.partitions).fill(undefined);
  }

  /** Whether `dir` holds a log (its log.json exists). */
  static exists(dir: string): boolean {
    return fs.existsSync(path.join(dir, metaFile));
  }

  /** Reads and checks log.json. */
  static readMeta(dir: string): LogMeta {
    let text: string;
    try {
      text = fs.readFileSync(path.join(dir, metaFile), 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new WeirError('WEIR_CONFIG', `no embedded log at ${dir} (no ${metaFile})`);
      throw new WeirError('WEIR_SOURCE', `embedded log ${dir}: cannot read ${metaFile}: ${(err as Error).message}`, { cause: err });
    }
    let meta: Partial<LogMeta>;
    try {
      meta = JSON.parse(text) as Partial<LogMeta>;
    } catch (err) {
      throw new WeirError('WEIR_SOURCE', `embedded log ${dir}: ${metaFile} is not JSON: ${(err as Error).message}`, { cause: err });
    }
    if (meta.format !== embeddedLogFormat) throw new WeirError('WEIR_CONFIG', `${dir} is not an embedded log (${metaFile} format ${JSON.stringify(meta.format)})`);
    if (meta.version !== embeddedLogVersion) {
      throw new WeirError('WEIR_CONFIG', `embedded log ${dir}: format version ${meta.version} is not supported (this is version ${embeddedLogVersion})`);
    }
    const n = meta.partitions;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > logPartitionsMax) {
      throw new WeirError('WEIR_SOURCE', `embedded log ${dir}: bad partition count ${JSON.stringify(n)} in ${metaFile}`);
    }
    return { format: embeddedLogFormat, version: meta.version, partitions: n };
  }

  /** Creates a new log; fails with WEIR_CONFIG if `dir` already holds one. */
  static create(dir: string, partitions: number): EmbeddedLog {
    if (!EmbeddedLog.tryCreate(dir, partitions)) throw new WeirError('WEIR_CONFIG', `an embedded log already exists at ${dir}`);
    return EmbeddedLog.open(dir);
  }

  /** Opens the log at `dir`, creating it with `partitions` if there is none. Safe when several threads do it at once. */
  static openOrCreate(dir: string, partitions: number, opts: EmbeddedLogOpenOptions = {}): EmbeddedLog {
    if (!EmbeddedLog.exists(dir)) EmbeddedLog.tryCreate(dir, partitions);
    return EmbeddedLog.open(dir, opts);
  }

  static open(dir: string, opts: EmbeddedLogOpenOptions = {}): EmbeddedLog {
    return new EmbeddedLog(dir, EmbeddedLog.readMeta(dir), opts);
  }

  /**
   * Creates the partition files, then publishes log.json atomically with link(2), which fails if
   * another thread won the race: then its log (same layout) is the one we open. False when a log existed.
   */
  private static tryCreate(dir: string, partitions: number): boolean {
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > logPartitionsMax) {
      throw new WeirError('WEIR_CONFIG', `embedded log: partitions must be an integer in 1..${logPartitionsMax}, got ${partitions}`);
    }
    fs.mkdirSync(dir, { recursive: true });
    if (EmbeddedLog.exists(dir)) return false;
    for (let p = 0; p < partitions; p++) fs.closeSync(fs.openSync(partitionFile(dir, p), 'a'));
    const meta: LogMeta = { format: embeddedLogFormat, version: embeddedLogVersion, partitions };
    const tmp = path.join(dir, `.${metaFile}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
    const fd = fs.openSync(tmp, 'wx');
    try {
      fs.writeSync(fd, JSON.stringify(meta) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    let created = true;
    try {
      fs.linkSync(tmp, path.join(dir, metaFile));
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
      created = false;
    } finally {
      fs.unlinkSync(tmp);
    }
    if (created) {
      try {
        const dfd = fs.openSync(dir, 'r');
        try {
          fs.fsyncSync(dfd);
        } finally {
          fs.closeSync(dfd);
        }
      } catch {
        // directory fsync is not supported everywhere; the data is still there after a clean shutdown
      }
    }
    return created;
  }

  /** @internal */
  reportRepair(repair: LogRepair): void {
    this.repairs.push(repair);
    this.onRepair?.(repair);
  }

  private partition(p: number): Partition {
    if (this.closed) throw new WeirError('WEIR_CONFIG', `embedded log ${this.dir} is closed`);
    if (!Number.isInteger(p) || p < 0 || p >= this.partitions) {
      throw new WeirError('WEIR_CONFIG', `embedded log ${this.dir}: no partition ${p} (it has ${this.partitions})`);
    }
    return (this.parts[p] ??= new Partition(this, p, partitionFile(this.dir, p), this.readOnly));
  }

  /** Appends one record; returns its offset. */
  append(partition: number, payload: Uint8Array): number {
    const batch = new RecordBatch(headerBytes + payload.length);
    batch.add(payload);
    return this.partition(partition).append(batch);
  }

  /** Appends JSON.stringify(value) as one record; returns its offset. */
  appendJson(partition: number, value: unknown): number {
    const batch = new RecordBatch(256);
    batch.addJson(value);
    return this.partition(partition).append(batch);
  }

  /** Appends several records with one write; returns the offset of the first. */
  appendBatch(partition: number, payloads: readonly Uint8Array[]): number {
    let bytes = 0;
    for (const p of payloads) bytes += headerBytes + p.length;
    const batch = new RecordBatch(bytes);
    for (const p of payloads) batch.add(p);
    return this.partition(partition).append(batch);
  }

  /** Appends a prepared batch with one write; returns the offset of its first record. The batch is left as it was. */
  appendRecordBatch(partition: number, batch: RecordBatch): number {
    return this.partition(partition).append(batch);
  }

  /** The offset the next appended record will get. A read-only log looks at the file again first. */
  endOffset(partition: number): number {
    const part = this.partition(partition);
    if (this.readOnly) part.scan(false);
    return part.count;
  }

  /** Up to `max` records from `fromOffset`, each payload copied. For bulk reading use cursor(). */
  read(partition: number, fromOffset: number, max: number): LogRecord[] {
    const out: LogRecord[] = [];
    if (max <= 0) return out;
    const cursor = this.cursor(partition, fromOffset, { endOffset: fromOffset + max });
    while (cursor.next()) out.push({ offset: cursor.recordOffset, payload: Buffer.from(cursor.payload()) });
    return out;
  }

  cursor(partition: number, fromOffset = 0, opts: LogCursorOptions = {}): LogCursor {
    if (!Number.isSafeInteger(fromOffset) || fromOffset < 0) {
      throw new WeirError('WEIR_CONFIG', `embedded log ${this.dir}: bad offset ${fromOffset}`, { partition, offset: String(fromOffset) });
    }
    return new LogCursor(this.partition(partition), fromOffset, opts);
  }

  /** fdatasync of the given partitions (default: every partition opened so far). */
  sync(partitions?: readonly number[]): void {
    if (partitions) for (const p of partitions) fs.fdatasyncSync(this.partition(p).fd);
    else for (const part of this.parts) if (part) fs.fdatasyncSync(part.fd);
  }

  /** Opens (and so scans, verifies and repairs) every partition; returns each one's end offset and size. */
  check(): Array<{ partition: number; endOffset: number; bytes: number }> {
    const out: Array<{ partition: number; endOffset: number; bytes: number }> = [];
    for (let p = 0; p < this.partitions; p++) {
      const part = this.partition(p);
      out.push({ partition: p, endOffset: part.count, bytes: part.sizeBytes });
    }
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const part of this.parts) part?.close();
  }
}
