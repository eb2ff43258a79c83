/**
 * An embedded partitioned log on local files: Kafka's data model (partitions, record offsets
 * 0, 1, 2, … per partition, replay from any offset) without a broker.
 *
 * On disk, a directory:
 *   log.json                 {"format":"weir-embedded-log","version":1,"partitions":N}
 *   partition-<p>.seg        one append-only segment per partition
 * A segment is a sequence of records `[u32 length][u32 crc32][payload]`, both integers little
 * endian, crc32 (IEEE) of the payload alone. Payloads are 1..logRecordBytesMax bytes: an empty
 * payload is refused because a zero header is exactly what a zero-filled tail (a crash on some
 * file systems) looks like, and we want to recognise that as a torn tail, not as records.
 *
 * Opening a partition scans it once: it verifies every crc and builds a sparse index (the byte
 * position of every 64th record), so reading from any offset costs one seek plus at most 63
 * skipped records. The scan classifies a bad record:
 *   - it is the last thing in the file (header cut short, payload cut short, crc mismatch in the
 *     last record, or a tail of zero bytes) → a torn tail: the partial write of a crash. A
 *     read-write open truncates it (and reports it in `repairs` / `onRepair`); a read-only open
 *     leaves the file alone and reads up to it (a writer may be in the middle of that write).
 *   - anything after it → corruption: WEIR_SOURCE naming the partition, the offset and the byte.
 *   - a length field of 0 or above logRecordBytesMax with non-zero bytes after it → corruption.
 *
 * Concurrency: one writer per partition at a time (no lock: two writers would overwrite each
 * other's records), any number of readers. Readers in other threads or processes see appended
 * records when they look again (`endOffset`, or a cursor in follow mode, rescans past the end
 * they knew). All I/O is synchronous: this runs inside worker threads, where that is fastest.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WeirError, userFunctionError } from '../errors.ts';
import { crc32 } from '../util/crc32.ts';
import { generator, type GeneratedEvent, type GeneratorOptions } from './generator.ts';
import {
  END,
  type SinkContext,
  type SinkSpec,
  type SinkWriter,
  type SourceContext,
  type SourceOutput,
  type SourceReader,
  type SourceSpec,
} from './types.ts';

export const embeddedLogFormat = 'weir-embedded-log';
export const embeddedLogVersion = 1;
/** Largest payload of one record. */
export const logRecordBytesMax = 64 << 20;
/** Most partitions one log may have (each open partition holds a file descriptor). */
export const logPartitionsMax = 1024;
/** A follow-mode source that has caught up asks to be polled again after this long. */
export const logFollowPollMs = 5;

const headerBytes = 8;
const indexIntervalRecords = 64;
const scanChunkBytes = 1 << 20;
const cursorBufferBytes = 256 << 10;
/** A log sink writes its buffers out early once they hold this much (bounds its memory between flushes). */
const sinkPendingBytesMax = 4 << 20;
const metaFile = 'log.json';

export interface LogMeta {
  format: typeof embeddedLogFormat;
  version: number;
  partitions: number;
}

/** A torn tail found while opening a partition. */
export interface LogRepair {
  partition: number;
  /** Offset the torn record would have had (= the partition's end offset after the repair). */
  offset: number;
  /** Byte position where the valid data ends. */
  byteOffset: number;
  /** Bytes after it that were not a complete, valid record. */
  bytes: number;
  reason: string;
  /** True when the bytes were cut off (read-write open); false when a read-only open just stopped before them. */
  truncated: boolean;
}

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

function partitionFile(dir: string, partition: number): string {
  return path.join(dir, `partition-${partition}.seg`);
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}

function readFully(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

function writeFully(fd: number, buf: Uint8Array, length: number, position: number): void {
  let done = 0;
  while (done < length) done += fs.writeSync(fd, buf, done, length - done, position + done);
}

/**
 * Framed records built in one growable buffer, to be appended with a single write
 * (`EmbeddedLog.appendRecordBatch`). Reusable: `clear()` keeps the memory.
 */
export class RecordBatch {
  buffer: Buffer;
  /** Bytes used. */
  length = 0;
  /** Records in the batch. */
  count = 0;

  constructor(initialBytes = 64 << 10) {
    this.buffer = Buffer.allocUnsafe(Math.max(initialBytes, 64));
  }

  private reserve(bytes: number): void {
    const need = this.length + bytes;
    if (need <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }

  private seal(at: number, payloadBytes: number): void {
    if (payloadBytes === 0 || payloadBytes > logRecordBytesMax) {
      throw new WeirError('WEIR_ENCODE', `embedded log: a record payload must be 1..${logRecordBytesMax} bytes, got ${payloadBytes}`);
    }
    const buf = this.buffer;
    buf.writeUInt32LE(payloadBytes, at);
    buf.writeUInt32LE(crc32(buf.subarray(at + headerBytes, at + headerBytes + payloadBytes)), at + 4);
    this.length = at + headerBytes + payloadBytes;
    this.count++;
  }

  add(payload: Uint8Array): void {
    this.reserve(headerBytes + payload.length);
    const at = this.length;
    this.buffer.set(payload, at + headerBytes);
    this.seal(at, payload.length);
  }

  /** Appends the UTF-8 bytes of `text` as one record, without an intermediate buffer. */
  addString(text: string): void {
    this.reserve(headerBytes + text.length * 3); // a UTF-16 code unit is at most 3 bytes of UTF-8
    const at = this.length;
    const bytes = this.buffer.write(text, at + headerBytes, 'utf8');
    this.seal(at, bytes);
  }

  addJson(value: unknown): void {
    const text = JSON.stringify(value);
    if (text === undefined) throw new WeirError('WEIR_ENCODE', `embedded log: value is not JSON-serialisable (${typeof value})`);
    this.addString(text);
  }

  clear(): void {
    this.length = 0;
    this.count = 0;
  }
}

/** One partition's segment and what we know of it. Internal. */
class Partition {
  fd: number;
  /** Bytes of verified records (the end of the last valid record). */
  sizeBytes = 0;
  /** Records verified = the end offset. */
  count = 0;
  /** index[j] = byte position of record j * indexIntervalRecords. */
  readonly index: number[] = [];
  private failed: Error | undefined;

  constructor(
    private readonly log: EmbeddedLog,
    readonly id: number,
    readonly file: string,
    private readonly readOnly: boolean,
  ) {
    try {
      this.fd = fs.openSync(file, readOnly ? 'r' : 'r+');
    } catch (err) {
      throw new WeirError('WEIR_SOURCE', `embedded log ${log.dir}: cannot open partition ${id} (${file}): ${(err as Error).message}`, {
        partition: id,
        cause: err,
      });
    }
    try {
      this.scan(true);
    } catch (err) {
      fs.closeSync(this.fd);
      throw err;
    }
  }

  /** Verifies records from the known end to the end of the file (see the module comment for what a bad record means). */
  scan(atOpen: boolean): void {
    const fileBytes = fs.fstatSync(this.fd).size;
    if (fileBytes < this.sizeBytes) {
      throw this.corrupt(this.count, this.sizeBytes, `the file shrank to ${fileBytes} bytes below ${this.sizeBytes} verified bytes`);
    }
    if (fileBytes === this.sizeBytes) return;
    let pos = this.sizeBytes;
    let offset = this.count;
    let buf = Buffer.allocUnsafe(Math.min(scanChunkBytes, fileBytes - pos));
    let bufStart = pos;
    let bufEnd = pos; // file position just after the buffered bytes
    const fill = (at: number, need: number): void => {
      if (need > buf.length) buf = Buffer.allocUnsafe(need);
      bufStart = at;
      bufEnd = at + readFully(this.fd, buf, 0, Math.min(buf.length, fileBytes - at), at);
      if (bufEnd - at < need) throw this.corrupt(offset, at, `short read (file changed while scanning?)`);
    };
    let torn: string | undefined;
    while (pos < fileBytes) {
      if (fileBytes - pos < headerBytes) {
        torn = `header cut short (${fileBytes - pos} of ${headerBytes} bytes)`;
        break;
      }
      if (pos + headerBytes > bufEnd) fill(pos, headerBytes);
      const length = buf.readUInt32LE(pos - bufStart);
      const crc = buf.readUInt32LE(pos - bufStart + 4);
      if (length === 0 || length > logRecordBytesMax) {
        if (length === 0 && crc === 0 && this.zeroUpTo(pos, fileBytes)) {
          torn = 'zero-filled tail';
          break;
        }
        throw this.corrupt(offset, pos, `invalid record length ${length}`);
      }
      const end = pos + headerBytes + length;
      if (end > fileBytes) {
        torn = `record cut short (${fileBytes - pos - headerBytes} of ${length} payload bytes)`;
        break;
      }
      if (end > bufEnd) fill(pos, headerBytes + length);
      const start = pos - bufStart + headerBytes;
      if (crc32(buf.subarray(start, start + length)) !== crc) {
        if (end === fileBytes) {
          torn = 'crc mismatch in the last record';
          break;
        }
        throw this.corrupt(offset, pos, 'crc mismatch');
      }
      if (offset % indexIntervalRecords === 0) this.index.push(pos);
      pos = end;
      offset++;
    }
    this.sizeBytes = pos;
    this.count = offset;
    if (torn !== undefined && atOpen) {
      const repair: LogRepair = {
        partition: this.id,
        offset,
        byteOffset: pos,
        bytes: fileBytes - pos,
        reason: torn,
        truncated: !this.readOnly,
      };
      if (!this.readOnly) {
        fs.ftruncateSync(this.fd, pos);
        fs.fsyncSync(this.fd);
      }
      this.log.reportRepair(repair);
    }
    // Not at open (a reader looking past the end): an incomplete tail is most likely a write in
    // progress; it is looked at again next time.
  }

  private zeroUpTo(from: number, to: number): boolean {
    const buf = Buffer.allocUnsafe(Math.min(scanChunkBytes, to - from));
    for (let at = from; at < to; ) {
      const n = readFully(this.fd, buf, 0, Math.min(buf.length, to - at), at);
      if (n === 0) return false;
      for (let i = 0; i < n; i++) if (buf[i] !== 0) return false;
      at += n;
    }
    return true;
  }

  corrupt(offset: number, bytePos: number, what: string): WeirError {
    return new WeirError(
      'WEIR_SOURCE',
      `embedded log ${this.log.dir}: partition ${this.id} is corrupt at offset ${offset} (byte ${bytePos} of ${this.file}): ${what}`,
      { partition: this.id, offset },
    );
  }

  append(batch: RecordBatch): number {
    if (this.readOnly) throw new WeirError('WEIR_CONFIG', `embedded log ${this.log.dir}: opened read-only, cannot append to partition ${this.id}`);
    if (this.failed) {
      throw new WeirError('WEIR_SINK', `embedded log ${this.log.dir}: partition ${this.id} failed earlier and must be reopened: ${this.failed.message}`, {
        partition: this.id,
        cause: this.failed,
      });
    }
    const first = this.count;
    if (batch.count === 0) return first;
    try {
      writeFully(this.fd, batch.buffer, batch.length, this.sizeBytes);
    } catch (err) {
      this.failed = err as Error;
      try {
        fs.ftruncateSync(this.fd, this.sizeBytes); // best effort: do not leave half a batch behind
      } catch {
        // reopening repairs it as a torn tail
      }
      throw new WeirError('WEIR_SINK', `embedded log ${this.log.dir}: append to partition ${this.id} failed: ${(err as Error).message}`, {
        partition: this.id,
        retriable: false,
        cause: err,
      });
    }
    const buf = batch.buffer;
    let rel = 0;
    for (let r = 0; r < batch.count; r++) {
      if ((first + r) % indexIntervalRecords === 0) this.index.push(this.sizeBytes + rel);
      rel += headerBytes + buf.readUInt32LE(rel);
    }
    this.sizeBytes += batch.length;
    this.count += batch.count;
    return first;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

export interface LogCursorOptions {
  /** Keep looking for records appended after the end (by this or another log instance). Default false. */
  follow?: boolean;
  /** Stop before this offset (default: no limit, i.e. the end as it grows when following, else the end when it was reached). */
  endOffset?: number;
}

/**
 * Reads a partition in order with one reused buffer: after `next()` returned true, the current
 * record's payload is `buffer[payloadStart, payloadEnd)` and its offset `recordOffset`, valid until
 * the next call. Decode it (or copy it) before moving on.
 */
export class LogCursor {
  /** The offset next() will produce (= position to resume from). */
  offset: number;
  /** Offset of the record next() just produced. */
  recordOffset = -1;
  buffer: Buffer;
  payloadStart = 0;
  payloadEnd = 0;

  private pos: number;
  private bufStart = 0; // file position of buffer[0]
  private bufEnd = 0; // file position just after the valid buffered bytes
  private readonly follow: boolean;
  private readonly limit: number;

  /** @internal use EmbeddedLog.cursor */
  constructor(
    private readonly part: Partition,
    from: number,
    opts: LogCursorOptions,
  ) {
    this.follow = opts.follow ?? false;
    this.limit = opts.endOffset ?? Infinity;
    if (from > part.count) part.scan(false);
    if (from > part.count) {
      throw new WeirError('WEIR_SOURCE', `embedded log: offset ${from} is beyond the end (${part.count}) of partition ${part.id}`, {
        partition: part.id,
        offset: from,
      });
    }
    const j = Math.floor(from / indexIntervalRecords);
    this.offset = j * indexIntervalRecords;
    this.pos = j < part.index.length ? part.index[j] : part.sizeBytes; // j === index.length only when from === count
    if (j >= part.index.length) this.offset = from;
    this.buffer = Buffer.allocUnsafe(cursorBufferBytes);
    while (this.offset < from) this.advance(); // from ≤ count: these records are verified
  }

  /** Moves to the next record; false when there is none (yet, when following). */
  next(): boolean {
    if (this.offset >= this.limit) return false;
    const part = this.part;
    if (this.offset >= part.count) {
      if (!this.follow) return false;
      part.scan(false);
      if (this.offset >= part.count) return false;
    }
    this.advance();
    return true;
  }

  private advance(): void {
    const pos = this.pos;
    if (pos + headerBytes > this.bufEnd) this.fill(pos, headerBytes);
    const length = this.buffer.readUInt32LE(pos - this.bufStart);
    if (pos + headerBytes + length > this.bufEnd) this.fill(pos, headerBytes + length);
    this.payloadStart = pos - this.bufStart + headerBytes;
    this.payloadEnd = this.payloadStart + length;
    this.recordOffset = this.offset;
    this.offset++;
    this.pos = pos + headerBytes + length;
  }

  /** A view of the current payload (valid until the next call to next()). */
  payload(): Buffer {
    return this.buffer.subarray(this.payloadStart, this.payloadEnd);
  }

  private fill(at: number, need: number): void {
    if (need > this.buffer.length) this.buffer = Buffer.allocUnsafe(Math.max(need, this.buffer.length * 2));
    // Only verified bytes are read: they never change (append-only), whatever writers do meanwhile.
    const want = Math.min(this.buffer.length, this.part.sizeBytes - at);
    const n = readFully(this.part.fd, this.buffer, 0, want, at);
    if (n < need) throw this.part.corrupt(this.offset, at, `short read (${n} of ${need} bytes): the file changed underneath`);
    this.bufStart = at;
    this.bufEnd = at + n;
  }
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

// ---------------------------------------------------------------------------------------------
// Source

export interface LogSourceOptions<T> {
  dir: string;
  /** How a payload becomes a value: JSON.parse (default), a UTF-8 string, or a copy of the bytes (a Uint8Array). */
  decode?: 'json' | 'string' | 'bytes';
  /** false (default): read up to the end offset seen when the partition is opened, then END. true: tail forever. */
  follow?: boolean;
  /** Event time of a value (epoch ms); without it records have none (NaN). */
  timestamp?: (value: T) => number;
}

/**
 * Reads an embedded log, one source partition per log partition. Offsets are the log's offsets;
 * position() is the next offset and open(p, ctx, from) resumes there. createdMs is NaN (the log
 * does not store when a record was made). A payload that is not valid JSON (decode 'json') goes
 * to the dead letters with its offset.
 */
export function logSource<T = unknown>(opts: LogSourceOptions<T>): SourceSpec<T> {
  const decode = opts.decode ?? 'json';
  if (decode !== 'json' && decode !== 'string' && decode !== 'bytes') {
    throw new WeirError('WEIR_CONFIG', `logSource: decode must be 'json', 'string' or 'bytes', got ${JSON.stringify(decode)}`);
  }
  let partitions: number | undefined;
  return {
    kind: 'embedded-log',
    partitions: () => (partitions ??= EmbeddedLog.readMeta(opts.dir).partitions),
    open: (partition, _ctx: SourceContext, from) => new LogSourceReader<T>(opts, decode, partition, from),
  };
}

class LogSourceReader<T> implements SourceReader<T> {
  private readonly log: EmbeddedLog;
  private readonly cursor: LogCursor;
  private readonly follow: boolean;
  private readonly endOffset: number;
  private caughtUp = false;

  constructor(
    private readonly opts: LogSourceOptions<T>,
    private readonly decode: 'json' | 'string' | 'bytes',
    private readonly partition: number,
    from: unknown,
  ) {
    if (from !== undefined && from !== null && (typeof from !== 'number' || !Number.isSafeInteger(from) || from < 0)) {
      throw new WeirError('WEIR_SOURCE', `logSource ${opts.dir}: cannot resume partition ${partition} from position ${JSON.stringify(from)} (expected an offset)`, {
        partition,
      });
    }
    this.log = EmbeddedLog.open(opts.dir, { readOnly: true });
    try {
      this.follow = opts.follow ?? false;
      this.endOffset = this.follow ? Infinity : this.log.endOffset(partition);
      this.cursor = this.log.cursor(partition, (from as number | undefined) ?? 0, { follow: this.follow, endOffset: this.endOffset });
    } catch (err) {
      this.log.close();
      throw err;
    }
  }

  poll(max: number, out: SourceOutput<T>): number {
    const cursor = this.cursor;
    const timestamp = this.opts.timestamp;
    let n = 0;
    while (n < max && cursor.next()) {
      n++;
      const offset = cursor.recordOffset;
      let value: T;
      if (this.decode === 'json') {
        const text = cursor.buffer.toString('utf8', cursor.payloadStart, cursor.payloadEnd);
        try {
          value = JSON.parse(text) as T;
        } catch (err) {
          out.deadLetter(text, `bad JSON in embedded log ${this.opts.dir} partition ${this.partition} at offset ${offset}: ${(err as Error).message}`, offset);
          continue;
        }
      } else if (this.decode === 'string') {
        value = cursor.buffer.toString('utf8', cursor.payloadStart, cursor.payloadEnd) as T;
      } else {
        const bytes = new Uint8Array(cursor.payloadEnd - cursor.payloadStart);
        bytes.set(cursor.buffer.subarray(cursor.payloadStart, cursor.payloadEnd));
        value = bytes as T;
      }
      let ts = NaN;
      if (timestamp !== undefined) {
        try {
          ts = timestamp(value);
        } catch (err) {
          throw userFunctionError(err, 'logSource.timestamp', this.partition, offset);
        }
      }
      out.emit(value, offset, ts, NaN);
    }
    this.caughtUp = n < max;
    if (n === 0 && !this.follow && cursor.offset >= this.endOffset) return END;
    return n;
  }

  idleMs(): number {
    return this.follow && this.caughtUp ? logFollowPollMs : 0;
  }

  position(): number {
    return this.cursor.offset;
  }

  close(): void {
    this.log.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Sink

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

// ---------------------------------------------------------------------------------------------

/**
 * Creates a log at `dir` with the generator's partitions and fills partition p with the records
 * of generator partition p (as JSON, unlimited rate, synchronously), so log offsets equal the
 * generator's seq. Returns the log, open for reading and writing.
 */
export function fillLogFromGenerator(dir: string, gen: GeneratorOptions & { count: number }): EmbeddedLog {
  const spec = generator({ ...gen, ratePerSec: 0 });
  const partitions = spec.partitions();
  const log = EmbeddedLog.create(dir, partitions);
  const batch = new RecordBatch(1 << 20);
  const out: SourceOutput<GeneratedEvent> = {
    emit: (value) => batch.addJson(value),
    deadLetter: () => {},
  };
  try {
    for (let p = 0; p < partitions; p++) {
      const ctx: SourceContext = { partition: p, parallelism: partitions, workDir: dir, startMs: 0, nowMs: () => 0 };
      const reader = spec.open(p, ctx) as SourceReader<GeneratedEvent>;
      while ((reader.poll(8192, out) as number) !== END) {
        log.appendRecordBatch(p, batch);
        batch.clear();
      }
      reader.close();
    }
  } catch (err) {
    log.close();
    throw err;
  }
  return log;
}
