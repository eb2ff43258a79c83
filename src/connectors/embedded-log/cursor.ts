/** Sequential reading of one partition (EmbeddedLog.cursor). */
import { WeirError } from '../../errors.ts';
import { headerBytes } from './format.ts';
import { indexIntervalRecords, readFully, type Partition } from './partition.ts';

const cursorBufferBytes = 256 << 10;

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
