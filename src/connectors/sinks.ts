/**
 * Simple sinks: files, the console, an in-memory collector, and the dead-letter record shape.
 *
 * None of them is transactional: flush() writes what was buffered, so after a recovery the
 * records between the last checkpoint and the failure may appear twice (at-least-once). The
 * exactly-once file sink is transactionalFileSink (transactional-file/sink.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WeirError } from '../errors.ts';
import { LineBuffer, lineFormatter, resolveSinkPath, type LineFormat } from './line-output.ts';
import type { SinkContext, SinkSpec, SinkWriter } from './types.ts';
import { checkKnownKeys, type KeySet } from '../util/known-keys.ts';

export type { LineFormat } from './line-output.ts';

export interface FileSinkOptions<T> {
  /**
   * The file; a relative path is relative to the run's work dir (`--work-dir`, or the temp dir
   * weir made). With parallelism > 1, subtask s writes `<name>-<s><ext>` instead (see fileSinkPath).
   */
  path: string;
  /** Default `file:<path>`. */
  name?: string;
  /** Default 'jsonl'. */
  format?: LineFormat<T>;
  /** fdatasync at every flush (default false: flush hands the bytes to the OS; an fdatasync per epoch is expensive). */
  fsync?: boolean;
  /** Append to an existing file instead of truncating it at open (default false). */
  append?: boolean;
}

/**
 * The file subtask `subtask` of `parallelism` writes: `path` itself when parallelism is 1, else
 * `-<subtask>` inserted before the extension (out.jsonl → out-0.jsonl, out-1.jsonl; data → data-0;
 * .hidden → .hidden-0). Only the last extension counts: a.b.jsonl → a.b-0.jsonl.
 */
export function fileSinkPath(file: string, subtask: number, parallelism: number): string {
  if (parallelism === 1) return file;
  const { dir, name, ext } = path.parse(file);
  return path.join(dir, `${name}-${subtask}${ext}`);
}

const fileSinkKeys = { path: true, name: true, format: true, fsync: true, append: true } as const satisfies KeySet<FileSinkOptions<unknown>>;

/**
 * Writes one line per value to a file per subtask (created with its directory; truncated at open
 * unless `append`). Lines are buffered as strings and written with one fs.writeSync at flush()
 * (or once 1 Mi characters are pending).
 */
export function fileSink<T>(opts: FileSinkOptions<T>): SinkSpec<T> {
  checkKnownKeys('fileSink', opts, fileSinkKeys);
  if (typeof opts.path !== 'string' || opts.path === '') throw new WeirError('WEIR_CONFIG', 'fileSink: path is required');
  const name = opts.name ?? `file:${opts.path}`;
  const format = lineFormatter(opts.format, name);
  return {
    kind: 'file',
    name,
    open: (ctx: SinkContext) => new FileSinkWriter<T>(fileSinkPath(resolveSinkPath(ctx.workDir, opts.path), ctx.subtask, ctx.parallelism), name, format, opts),
  };
}

class FileSinkWriter<T> implements SinkWriter<T> {
  private readonly fd: number;
  private readonly buffer = new LineBuffer();
  private closed = false;
  private lines = 0;

  constructor(
    readonly file: string,
    private readonly name: string,
    private readonly format: (value: T) => string,
    private readonly opts: FileSinkOptions<T>,
  ) {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      this.fd = fs.openSync(file, opts.append ? 'a' : 'w');
    } catch (err) {
      throw new WeirError('WEIR_SINK', `sink "${name}": cannot open ${file}: ${(err as Error).message}`, { operator: name, cause: err });
    }
  }

  write(value: T): void {
    this.lines++;
    if (this.buffer.push(this.format(value))) this.writeOut();
  }

  private writeOut(): void {
    if (this.buffer.empty) return;
    try {
      this.buffer.writeTo(this.fd);
    } catch (err) {
      throw new WeirError('WEIR_SINK', `sink "${this.name}": cannot write ${this.file}: ${(err as Error).message}`, {
        operator: this.name,
        cause: err,
      });
    }
  }

  flush(): void {
    this.writeOut();
    if (this.opts.fsync) fs.fdatasyncSync(this.fd);
  }

  close(): void {
    if (this.closed) return;
    try {
      this.flush();
    } finally {
      this.closed = true;
      fs.closeSync(this.fd);
    }
  }

  result(): { path: string; lines: number } {
    return { path: this.file, lines: this.lines };
  }
}

// ---------------------------------------------------------------------------------------------

export interface ConsoleSinkOptions<T> {
  /** Put before every line (default none). */
  prefix?: string;
  /** Default 'console'. */
  name?: string;
  /** Default 'jsonl'. */
  format?: LineFormat<T>;
}

const consoleSinkKeys = { prefix: true, name: true, format: true } as const satisfies KeySet<ConsoleSinkOptions<unknown>>;

/**
 * Writes one line per value to process.stdout (in a worker thread, Node forwards it to the main
 * thread's stdout). Buffered; written at flush() (or once 1 Mi characters are pending).
 */
export function consoleSink<T>(opts: ConsoleSinkOptions<T> = {}): SinkSpec<T> {
  checkKnownKeys('consoleSink', opts, consoleSinkKeys);
  const name = opts.name ?? 'console';
  const format = lineFormatter(opts.format, name);
  const prefix = opts.prefix ?? '';
  return {
    kind: 'console',
    name,
    open: () => {
      const buffer = new LineBuffer();
      const writeOut = (): void => {
        if (!buffer.empty) process.stdout.write(buffer.take());
      };
      return {
        write(value: T): void {
          if (buffer.push(prefix + format(value))) writeOut();
        },
        flush: writeOut,
        close: writeOut,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------

/**
 * Keeps every value in memory in the worker; result() returns them in arrival order, and the
 * runtime merges the arrays of all subtasks into `results[name]`. For tests and small jobs only:
 * it is unbounded (the memory grows with every record).
 */
export function collect<T>(name: string): SinkSpec<T> {
  if (typeof name !== 'string' || name === '') throw new WeirError('WEIR_CONFIG', 'collect: a name is required');
  return {
    kind: 'collect',
    name,
    open: () => {
      const values: T[] = [];
      return {
        write(value: T): void {
          values.push(value);
        },
        flush(): void {},
        close(): void {},
        result: (): T[] => values,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------

/** A record that could not go on, as dead-letter sinks receive it. */
export interface DeadLetter {
  /** The source or operator that sent it to the dead letters. */
  source: string;
  /** The source partition of the record (-1 for a timer's dead letter). */
  partition: number;
  /** Where in its partition (a source's offset: record offset, line number, …; a timer: "event-time timer <ms>"). */
  offset: number | string;
  reason: string;
  /** The raw record as text (JSON for a value). */
  raw: string;
  /** The error's stack, with the user function's original stack, when an error sent it here. */
  stack?: string;
}

/** Builds a DeadLetter; `operator` names the source or operator (default 'source'). */
export function deadLetterRecord(raw: string, reason: string, partition: number, offset: number | string, operator?: string, stack?: string): DeadLetter {
  const letter: DeadLetter = { source: operator ?? 'source', partition, offset, reason, raw };
  if (stack !== undefined) letter.stack = stack;
  return letter;
}
