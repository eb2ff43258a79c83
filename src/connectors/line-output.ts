/**
 * What the line-writing sinks (file, console, transactional file) share: how a value becomes a
 * line, the buffer lines wait in until they are written out, and where a relative path points.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WeirError } from '../errors.ts';

/** How a value becomes one line: 'jsonl' = JSON.stringify, or a function (a "\n" is added after it). */
export type LineFormat<T> = 'jsonl' | ((value: T) => string);

/** Bytes a line sink buffers before it writes them out even without a flush. */
export const lineBufferCharsMax = 1 << 20;

/** The function turning a value into its line (without the "\n"); errors name the sink. */
export function lineFormatter<T>(format: LineFormat<T> | undefined, sink: string): (value: T) => string {
  if (format === undefined || format === 'jsonl') {
    return (value: T) => {
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch (err) {
        throw new WeirError('WEIR_ENCODE', `sink "${sink}": value is not JSON-serialisable: ${(err as Error).message}`, { operator: sink, cause: err });
      }
      // JSON.stringify(undefined / a function / a symbol) is undefined: write null so the line count still matches.
      return text === undefined ? 'null' : text;
    };
  }
  if (typeof format !== 'function') throw new WeirError('WEIR_CONFIG', `sink "${sink}": format must be 'jsonl' or a function`);
  return (value: T) => {
    try {
      return String(format(value));
    } catch (err) {
      throw new WeirError('WEIR_USER_FUNCTION', `sink "${sink}": the format function threw: ${(err as Error)?.message ?? err}`, {
        operator: sink,
        cause: err,
      });
    }
  };
}

/** Bytes a line buffer starts with; it grows (doubling) when a line does not fit. */
const lineBufferBytesInitial = 64 * 1024;

/**
 * Lines waiting to be written out, as UTF-8 bytes: each line is encoded straight into this buffer,
 * so a record costs its formatted string and nothing else (no line + "\n" string, no array of
 * lines to join, no Buffer per write).
 */
export class LineBuffer {
  private bytes = Buffer.allocUnsafe(lineBufferBytesInitial);
  private used = 0;

  /** Adds a line and its "\n"; true once the buffer holds lineBufferCharsMax bytes or more. */
  push(line: string): boolean {
    // UTF-8 takes at most 3 bytes per UTF-16 unit (a surrogate pair: 4 for 2), plus the newline.
    const most = line.length * 3 + 1;
    if (this.used + most > this.bytes.length) this.makeRoom(most);
    const used = this.used + this.bytes.write(line, this.used, 'utf8');
    this.bytes[used] = 0x0a;
    this.used = used + 1;
    return this.used >= lineBufferCharsMax;
  }

  get empty(): boolean {
    return this.used === 0;
  }

  /** Writes everything buffered at the file's current position (a short write is continued) and empties the buffer; returns the byte count. */
  writeTo(fd: number): number {
    const length = this.used;
    this.used = 0;
    let done = 0;
    while (done < length) done += fs.writeSync(fd, this.bytes, done, length - done);
    return length;
  }

  /** Everything buffered, as text; the buffer is empty afterwards. */
  take(): string {
    const text = this.bytes.toString('utf8', 0, this.used);
    this.used = 0;
    return text;
  }

  clear(): void {
    this.used = 0;
  }

  private makeRoom(bytes: number): void {
    let size = this.bytes.length * 2;
    while (size < this.used + bytes) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.bytes.copy(grown, 0, 0, this.used);
    this.bytes = grown;
  }
}

/** A sink's file or directory: a relative path is relative to the run's work dir. */
export function resolveSinkPath(workDir: string, file: string): string {
  return path.resolve(workDir, file);
}
