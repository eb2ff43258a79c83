/**
 * JSON-lines file source: one partition per file, one JSON value per line.
 *
 * Offsets are 1-based line numbers (the first line of a file is offset 1), so errors and dead
 * letters say "path:line". position() is { line, byteOffset }: the last line consumed and the byte
 * just after it; open(p, ctx, from) seeks there and goes on numbering from line + 1.
 *
 * Lines end at "\n"; a "\r" before it is dropped (CRLF files), a last line without a newline is
 * read, a UTF-8 byte-order mark at the start of the file is ignored. The file is read with
 * fs.readSync in 64 KiB chunks and split on the byte 0x0A, which never occurs inside a multi-byte
 * UTF-8 sequence; a line is decoded only once it is complete (its bytes gathered across chunks if
 * needed), so characters cut by a chunk boundary decode correctly and byte offsets stay exact.
 *
 * Every line is accounted for: lines = emitted + deadLettered + blank (see JsonLinesReader.stats()).
 *   - a blank (empty or whitespace-only) line is skipped and counted as blank: it is not an
 *     error, is not emitted, and is not in poll()'s return value; out.skip() counts it in the
 *     source's `skipped` metric;
 *   - a line that is not valid JSON goes to deadLetter(rawLine, "malformed JSON at path:line: …", line);
 *   - a line longer than maxLineBytes goes to deadLetter (its first 1 KiB + "…") without ever
 *     being held in memory whole.
 * timestampMs is NaN unless opts.timestamp is given; createdMs is NaN (a file does not say when a
 * line was made).
 */
import * as fs from 'node:fs';
import { WeirError, userFunctionError } from '../errors.ts';
import { exchangeRecordBytesMax, limits } from '../limits.ts';
import { END, type SourceContext, type SourceOutput, type SourceReader, type SourceSpec } from './types.ts';
import { checkKnownKeys, type KeySet } from '../util/known-keys.ts';

export interface JsonLinesSourceOptions<T> {
  /** One file per partition. */
  path: string | string[];
  /** Event time of a value (epoch ms); without it records have none (NaN). */
  timestamp?: (value: T) => number;
  /**
   * Longest line accepted, bytes; longer lines are dead-lettered. Default: the largest record an
   * exchange of the job carries (limits.exchangeRecordBytesMax: 262 104 bytes with the default
   * 1 MiB ring; raise ringCapacityBytes / --ring-capacity-bytes for longer lines). A job without a
   * keyBy may set more.
   */
  maxLineBytes?: number;
}

export interface JsonLinesPosition {
  /** Lines consumed so far (= line number of the last one; 0 at the start). */
  line: number;
  /** Byte position just after that line. */
  byteOffset: number;
}

export interface JsonLinesStats {
  lines: number;
  emitted: number;
  deadLettered: number;
  blank: number;
}

const chunkBytes = 64 << 10;
const rawPreviewBytes = 1024;
/** A poll looks at no more than max × this many lines (bounds the work of a poll that meets a long run of blank lines). */
const linesPerPollFactor = 8;

const jsonLinesSourceKeys = { path: true, timestamp: true, maxLineBytes: true } as const satisfies KeySet<JsonLinesSourceOptions<unknown>>;

export function jsonLinesSource<T = unknown>(opts: JsonLinesSourceOptions<T>): SourceSpec<T> {
  checkKnownKeys('jsonLinesSource', opts, jsonLinesSourceKeys);
  const paths = typeof opts.path === 'string' ? [opts.path] : Array.isArray(opts.path) ? [...opts.path] : [];
  if (paths.length === 0 || paths.some((p) => typeof p !== 'string' || p === '')) {
    throw new WeirError('WEIR_CONFIG', `jsonLinesSource: path must be a file name or a non-empty list of file names`);
  }
  const maxLineBytes = opts.maxLineBytes;
  if (maxLineBytes !== undefined && (!Number.isInteger(maxLineBytes) || maxLineBytes < 1)) {
    throw new WeirError('WEIR_CONFIG', `jsonLinesSource: maxLineBytes must be a positive integer, got ${maxLineBytes}`);
  }
  return {
    kind: 'jsonl-file',
    partitions: () => paths.length,
    open: (partition: number, ctx: SourceContext, from?: unknown) => {
      if (!Number.isInteger(partition) || partition < 0 || partition >= paths.length) {
        throw new WeirError('WEIR_CONFIG', `jsonLinesSource: no partition ${partition} (${paths.length} files)`);
      }
      const lineBytesMax = maxLineBytes ?? ctx.recordBytesMax ?? exchangeRecordBytesMax(limits.ringCapacityBytes);
      const why =
        maxLineBytes === undefined
          ? 'the largest record an exchange carries (a quarter of ringCapacityBytes, less 40 bytes); raise ringCapacityBytes (--ring-capacity-bytes) or set maxLineBytes'
          : "the source's maxLineBytes";
      return new JsonLinesReader<T>(paths[partition], partition, from, opts.timestamp, lineBytesMax, why);
    },
  };
}

function checkPosition(from: unknown, path: string, partition: number): JsonLinesPosition {
  if (from === undefined || from === null) return { line: 0, byteOffset: 0 };
  const f = from as Partial<JsonLinesPosition>;
  if (typeof f === 'object' && Number.isSafeInteger(f.line) && Number.isSafeInteger(f.byteOffset) && f.line! >= 0 && f.byteOffset! >= 0) {
    return { line: f.line!, byteOffset: f.byteOffset! };
  }
  throw new WeirError('WEIR_SOURCE', `jsonLinesSource ${path}: cannot resume from position ${JSON.stringify(from)} (expected { line, byteOffset })`, {
    partition,
  });
}

export class JsonLinesReader<T> implements SourceReader<T> {
  private readonly fd: number;
  private readonly chunk = Buffer.allocUnsafe(chunkBytes);
  private chunkStart: number; // file position of chunk[0]
  private chunkLength = 0;
  private at = 0; // next unread byte in chunk
  private eof = false;
  private closed = false;
  // A line that started in an earlier chunk.
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private tooLong = false; // the current line passed maxLineBytes: its bytes are being skipped
  private preview: Buffer | undefined;
  // The chunk's whole lines, decoded at once: chunk[textStart, textEnd) is `text`, and the next
  // line to take from it starts at char textAt. Decoding line by line cost a native call and a
  // string a line (a tenth of parsing one); a line is now a slice of it. A newline byte never sits
  // inside a UTF-8 sequence, so the text's k-th line is the bytes' k-th.
  private text = '';
  private textStart = 0;
  private textEnd = -1;
  private textAt = 0;

  private line: number;
  private byteOffset: number;
  private readonly counts: JsonLinesStats = { lines: 0, emitted: 0, deadLettered: 0, blank: 0 };

  constructor(
    readonly path: string,
    private readonly partition: number,
    from: unknown,
    private readonly timestamp: ((value: T) => number) | undefined,
    private readonly maxLineBytes: number,
    /** What the limit is, for the dead letter's reason. */
    private readonly limitIs = "the source's maxLineBytes",
  ) {
    const start = checkPosition(from, path, partition);
    this.line = start.line;
    this.byteOffset = start.byteOffset;
    this.chunkStart = start.byteOffset;
    try {
      this.fd = fs.openSync(path, 'r');
    } catch (err) {
      throw new WeirError('WEIR_SOURCE', `jsonLinesSource: cannot open ${path}: ${(err as Error).message}`, { partition, cause: err });
    }
  }

  poll(max: number, out: SourceOutput<T>): number {
    let n = 0;
    let budget = max * linesPerPollFactor;
    const chunk = this.chunk;
    while (n < max && budget > 0) {
      if (this.at >= this.chunkLength) {
        if (this.eof || !this.readChunk()) {
          // End of file: a last line without a newline is still a line.
          if (this.carryBytes > 0 || this.tooLong) {
            n += this.finishLine(this.chunkStart + this.chunkLength, out);
          }
          break;
        }
      }
      const at = this.at;
      let nl = chunk.indexOf(10, at);
      if (nl >= this.chunkLength) nl = -1; // bytes past chunkLength are stale
      if (nl === -1) {
        this.keep(at, this.chunkLength);
        this.at = this.chunkLength;
        continue;
      }
      this.at = nl + 1;
      budget--;
      if (this.carryBytes === 0 && nl - at <= this.maxLineBytes) {
        // The common case: the whole line is in this chunk.
        n += this.finishText(this.lineText(at, nl), this.chunkStart + nl + 1, out);
      } else {
        if (this.carryBytes === 0) this.lineText(at, nl); // too long: its text is passed over
        this.keep(at, nl);
        n += this.finishLine(this.chunkStart + nl + 1, out);
      }
    }
    if (n === 0 && this.eof && this.at >= this.chunkLength && this.carryBytes === 0 && !this.tooLong) return END;
    return n;
  }

  /** Reads the next chunk; false at the end of the file. */
  private readChunk(): boolean {
    this.chunkStart += this.chunkLength;
    this.chunkLength = 0;
    this.at = 0;
    this.textEnd = -1;
    let n: number;
    try {
      n = fs.readSync(this.fd, this.chunk, 0, this.chunk.length, this.chunkStart);
    } catch (err) {
      throw new WeirError('WEIR_SOURCE', `jsonLinesSource: cannot read ${this.path}: ${(err as Error).message}`, {
        partition: this.partition,
        offset: this.line + 1,
        cause: err,
      });
    }
    if (n === 0) {
      this.eof = true;
      return false;
    }
    this.chunkLength = n;
    return true;
  }

  /** chunk[at, nl): a line that starts in this chunk at `at` and ends at the newline `nl`. Lines are taken in order. */
  private lineText(at: number, nl: number): string {
    if (at < this.textStart || nl > this.textEnd) {
      // The first line taken from this chunk: decode from it to the chunk's last newline.
      this.textStart = at;
      this.textEnd = this.chunk.lastIndexOf(10, this.chunkLength - 1);
      this.text = this.chunk.toString('utf8', at, this.textEnd);
      this.textAt = 0;
    }
    const text = this.text;
    const end = text.indexOf('\n', this.textAt);
    const line = text.slice(this.textAt, end === -1 ? text.length : end);
    this.textAt = end === -1 ? text.length + 1 : end + 1;
    return line;
  }

  /** Adds chunk[from, to) to the current line (when the line goes on past this chunk, or ends in it after earlier parts). */
  private keep(from: number, to: number): void {
    if (to === from) return;
    if (this.tooLong) {
      this.carryBytes += to - from;
      return;
    }
    if (this.carryBytes + (to - from) > this.maxLineBytes) {
      const head = this.carry.length > 0 ? Buffer.concat(this.carry) : Buffer.alloc(0);
      this.preview = Buffer.concat([head, this.chunk.subarray(from, to)]).subarray(0, rawPreviewBytes);
      this.carry = [];
      this.tooLong = true;
      this.carryBytes += to - from;
      return;
    }
    this.carry.push(Buffer.from(this.chunk.subarray(from, to)));
    this.carryBytes += to - from;
  }

  /** The current line, gathered in the carry, is complete; `end` is the file position after it. */
  private finishLine(end: number, out: SourceOutput<T>): number {
    if (this.tooLong) {
      const lineNo = ++this.line;
      this.counts.lines++;
      const bytes = this.carryBytes;
      const raw = (this.preview ?? Buffer.alloc(0)).toString('utf8') + '…';
      this.tooLong = false;
      this.preview = undefined;
      this.carryBytes = 0;
      this.byteOffset = end;
      this.counts.deadLettered++;
      out.deadLetter(raw, `line too long at ${this.path}:${lineNo} (${bytes} bytes > ${this.maxLineBytes}): the limit is ${this.limitIs}`, lineNo);
      return 1;
    }
    const text = (this.carry.length === 1 ? this.carry[0] : Buffer.concat(this.carry, this.carryBytes)).toString('utf8');
    this.carry = [];
    this.carryBytes = 0;
    return this.finishText(text, end, out);
  }

  /** One complete line (without its "\n"). Returns 1 if it was emitted or dead-lettered, 0 if blank. */
  private finishText(text: string, end: number, out: SourceOutput<T>): number {
    const lineNo = ++this.line;
    this.counts.lines++;
    this.byteOffset = end;
    if (text.length > 0 && text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1);
    if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    let value: T;
    try {
      value = JSON.parse(text) as T;
    } catch (err) {
      if (text.trim() === '') {
        this.counts.blank++;
        out.skip?.(lineNo);
        return 0;
      }
      this.counts.deadLettered++;
      out.deadLetter(text, `malformed JSON at ${this.path}:${lineNo}: ${(err as Error).message}`, lineNo);
      return 1;
    }
    let ts = NaN;
    if (this.timestamp !== undefined) {
      try {
        ts = this.timestamp(value);
      } catch (err) {
        throw userFunctionError(err, 'jsonLinesSource.timestamp', this.partition, lineNo);
      }
    }
    this.counts.emitted++;
    out.emit(value, lineNo, ts, NaN);
    return 1;
  }

  /** Data is always available until END. */
  idleMs(): number {
    return 0;
  }

  position(): JsonLinesPosition {
    return { line: this.line, byteOffset: this.byteOffset };
  }

  /** lines = emitted + deadLettered + blank. */
  stats(): JsonLinesStats {
    return { ...this.counts };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }
}
