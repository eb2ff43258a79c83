/**
 * The embedded log's on-disk layout (see log.ts for the log itself), a directory:
 *   log.json                 {"format":"weir-embedded-log","version":1,"partitions":N}
 *   partition-<p>.seg        one append-only segment per partition
 * A segment is a sequence of records `[u32 length][u32 crc32][payload]`, both integers little
 * endian, crc32 (IEEE) of the payload alone. Payloads are 1..logRecordBytesMax bytes: an empty
 * payload is refused because a zero header is exactly what a zero-filled tail (a crash on some
 * file systems) looks like, and we want to recognise that as a torn tail, not as records.
 *
 * RecordBatch frames records in that layout; partition.ts scans and verifies them.
 */
import * as path from 'node:path';
import { WeirError } from '../../errors.ts';
import { crc32 } from '../../util/crc32.ts';

export const embeddedLogFormat = 'weir-embedded-log';
export const embeddedLogVersion = 1;
/** Largest payload of one record. */
export const logRecordBytesMax = 64 << 20;
/** Most partitions one log may have (each open partition holds a file descriptor). */
export const logPartitionsMax = 1024;

export const headerBytes = 8;
export const metaFile = 'log.json';

export interface LogMeta {
  format: typeof embeddedLogFormat;
  version: number;
  partitions: number;
}

export function partitionFile(dir: string, partition: number): string {
  return path.join(dir, `partition-${partition}.seg`);
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
