/**
 * One partition's segment file: opening, scanning, torn-tail repair and appending.
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
 */
import * as fs from 'node:fs';
import { WeirError } from '../../errors.ts';
import { crc32 } from '../../util/crc32.ts';
import { headerBytes, logRecordBytesMax, type RecordBatch } from './format.ts';
import type { EmbeddedLog } from './log.ts';

export const indexIntervalRecords = 64;
const scanChunkBytes = 1 << 20;

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

export function readFully(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number {
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

/** One partition's segment and what we know of it. Internal (EmbeddedLog and LogCursor use it). */
export class Partition {
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
