/**
 * What the line-writing sinks (file, console, transactional file) share: how a value becomes a
 * line, the buffer lines wait in until they are written out, and where a relative path points.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WeirError } from '../errors.ts';

/** How a value becomes one line: 'jsonl' = JSON.stringify, or a function (a "\n" is added after it). */
export type LineFormat<T> = 'jsonl' | ((value: T) => string);

/** Text a line sink buffers before it writes it out even without a flush. */
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

/** Lines waiting to be written out, joined into one string when taken. */
export class LineBuffer {
  private chunks: string[] = [];
  private chars = 0;

  /** Adds a line (with its "\n"); true once the buffer holds lineBufferCharsMax characters or more. */
  push(line: string): boolean {
    this.chunks.push(line);
    this.chars += line.length;
    return this.chars >= lineBufferCharsMax;
  }

  get empty(): boolean {
    return this.chunks.length === 0;
  }

  /** Everything buffered, as one string; the buffer is empty afterwards. */
  take(): string {
    const text = this.chunks.length === 1 ? this.chunks[0] : this.chunks.join('');
    this.chunks = [];
    this.chars = 0;
    return text;
  }
}

/** Writes all of `text` (UTF-8) at the file's current position; returns the byte count. A short write is continued. */
export function writeAllSync(fd: number, text: string): number {
  const bytes = Buffer.from(text, 'utf8');
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done);
  return bytes.length;
}

/** A sink's file or directory: a relative path is relative to the run's work dir. */
export function resolveSinkPath(workDir: string, file: string): string {
  return path.resolve(workDir, file);
}
