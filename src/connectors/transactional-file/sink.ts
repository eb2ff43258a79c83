/**
 * transactionalFileSink: an exactly-once file sink on the two-phase-commit contract (like Flink's
 * FileSink with its in-progress, pending and finished files; names in names.ts).
 *
 *   write / flush   lines go to a hidden in-progress file per subtask, never visible;
 *   preCommit(n)    the in-progress file is fsynced and renamed to a hidden pending file of
 *                   checkpoint n; the note lists every pending file not yet committed;
 *   commit(n)       the pending files of checkpoints ≤ n are renamed to their visible names.
 *
 * So output becomes visible only when a checkpoint completes; at the end of bounded input the
 * runtime takes a final checkpoint (preCommit + commit) so the tail is committed too. close()
 * removes an in-progress file that was never pre-committed: its records belong to no completed
 * checkpoint (a recovery replays them). Pending files stay for commit or recovery (recover.ts).
 */
import * as fs from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WeirError } from '../../errors.ts';
import { LineBuffer, lineFormatter, resolveSinkPath, type LineFormat } from '../line-output.ts';
import type { JsonValue, SinkContext, SinkSpec, SinkWriter } from '../types.ts';
import { commitParts, syncDirectory } from './commit.ts';
import { isMissing, sinkFileError } from './fs-error.ts';
import { finalName, inProgressName, isPlainFileName, pendingName } from './names.ts';
import { noteToJson, type PendingPart } from './note.ts';
import { prepareDirectory } from './recover.ts';

const fsync = promisify(fs.fsync);

export interface TransactionalFileSinkOptions<T> {
  /** The output directory (created); a relative path is relative to the run's work dir. */
  dir: string;
  /** Default `transactional-file:<dir>`. */
  name?: string;
  /** Default 'jsonl' (files end in .jsonl); with a function, files end in .txt. */
  format?: LineFormat<T>;
  /** Committed files are `<prefix>-<subtask>-<checkpointId><ext>`; default 'part'. */
  prefix?: string;
}

/** What result() reports per subtask: the files this writer committed (recovery commits are not counted). */
export interface TransactionalFileSinkResult {
  dir: string;
  subtask: number;
  committedFiles: string[];
  committedLines: number;
}

/**
 * Writes one line per value into files that become visible only when a checkpoint completes
 * (guarantee 'exactly-once'). At open, a subtask commits what the restored checkpoint's notes
 * name and removes hidden leftovers of earlier attempts — on a fresh start, every leftover
 * in-progress or pending file of this sink — and refuses to start over committed output of a
 * checkpoint later than the one it resumes from (it would be written twice).
 */
export function transactionalFileSink<T>(opts: TransactionalFileSinkOptions<T>): SinkSpec<T> {
  if (typeof opts.dir !== 'string' || opts.dir === '') throw new WeirError('WEIR_CONFIG', 'transactionalFileSink: dir is required');
  const name = opts.name ?? `transactional-file:${opts.dir}`;
  const prefix = opts.prefix ?? 'part';
  if (typeof prefix !== 'string' || !isPlainFileName(prefix) || prefix.startsWith('.')) {
    throw new WeirError('WEIR_CONFIG', `sink "${name}": prefix must be a file name that does not start with "."`);
  }
  const format = lineFormatter(opts.format, name);
  const ext = opts.format === undefined || opts.format === 'jsonl' ? '.jsonl' : '.txt';
  return {
    kind: 'transactional-file',
    name,
    guarantee: 'exactly-once',
    open: async (ctx: SinkContext) => {
      const dir = resolveSinkPath(ctx.workDir, opts.dir);
      await prepareDirectory({ dir, prefix, sink: name, ctx });
      return new TransactionalFileWriter<T>({ dir, prefix, ext, sink: name, format, ctx });
    },
  };
}

interface WriterConfig<T> {
  dir: string;
  prefix: string;
  ext: string;
  sink: string;
  format: (value: T) => string;
  ctx: SinkContext;
}

interface InProgress {
  path: string;
  fd: number;
  bytes: number;
  lines: number;
}

class TransactionalFileWriter<T> implements SinkWriter<T> {
  private readonly buffer = new LineBuffer();
  private bufferedLines = 0;
  private inProgress: InProgress | undefined;
  private seq = 0;
  /** Pre-committed, not yet committed; oldest first. */
  private pending: Array<PendingPart & { lines: number }> = [];
  private lastPreCommitted = -Infinity;
  private readonly committedFiles: string[] = [];
  private committedLines = 0;

  constructor(private readonly c: WriterConfig<T>) {}

  write(value: T): void {
    this.bufferedLines++;
    if (this.buffer.push(this.c.format(value))) this.writeOut();
  }

  /** Hands buffered lines to the in-progress file (made on first use, so an idle checkpoint makes no file). */
  private writeOut(): void {
    if (this.buffer.empty) return;
    const file = this.inProgress ?? this.openInProgress();
    try {
      file.bytes += this.buffer.writeTo(file.fd);
    } catch (err) {
      throw sinkFileError(this.c.sink, 'write', file.path, err);
    }
    file.lines += this.bufferedLines;
    this.bufferedLines = 0;
  }

  private openInProgress(): InProgress {
    const { dir, prefix, sink, ctx } = this.c;
    const path = join(dir, inProgressName(prefix, ctx.sinkUid, ctx.subtask, this.seq++));
    try {
      this.inProgress = { path, fd: fs.openSync(path, 'wx'), bytes: 0, lines: 0 };
    } catch (err) {
      throw sinkFileError(sink, 'create', path, err);
    }
    return this.inProgress;
  }

  /** Writes to the in-progress file only: nothing becomes visible before a commit. */
  flush(): void {
    this.writeOut();
  }

  async preCommit(checkpointId: number): Promise<JsonValue> {
    const { dir, prefix, ext, sink, ctx } = this.c;
    if (!(checkpointId > this.lastPreCommitted)) {
      throw new WeirError('WEIR_SINK', `sink "${sink}": pre-commit of checkpoint ${checkpointId} after checkpoint ${this.lastPreCommitted}`, { operator: sink });
    }
    this.lastPreCommitted = checkpointId;
    this.writeOut();
    const file = this.inProgress;
    if (file !== undefined) {
      this.inProgress = undefined;
      const pending = pendingName(prefix, ctx.sinkUid, ctx.subtask, checkpointId);
      // Data first, then the name: the note may only name a file whose bytes are on disk, and
      // the rename must be durable before the note lands in the checkpoint.
      try {
        await fsync(file.fd);
      } catch (err) {
        throw sinkFileError(sink, 'fsync', file.path, err);
      } finally {
        fs.closeSync(file.fd);
      }
      try {
        await rename(file.path, join(dir, pending));
      } catch (err) {
        throw sinkFileError(sink, `rename to ${pending}`, file.path, err);
      }
      await syncDirectory(dir, sink);
      this.pending.push({ pending, final: finalName(prefix, ctx.subtask, checkpointId, ext), bytes: file.bytes, checkpointId, lines: file.lines });
    }
    // Every file still pending, not only this checkpoint's: if an earlier checkpoint's commit
    // never comes (it failed, or the process dies first), recovery from this one commits them.
    return noteToJson({ dir, files: this.pending });
  }

  async commit(checkpointId: number): Promise<void> {
    const due = this.pending.filter((p) => p.checkpointId <= checkpointId);
    if (due.length === 0) return;
    await commitParts(this.c.dir, due, this.c.sink);
    this.pending = this.pending.filter((p) => p.checkpointId > checkpointId);
    for (const p of due) {
      this.committedFiles.push(p.final);
      this.committedLines += p.lines;
    }
  }

  /** Drops what no pre-commit took (buffer and in-progress file); pending files stay for commit or recovery. */
  async close(): Promise<void> {
    this.buffer.clear();
    this.bufferedLines = 0;
    const file = this.inProgress;
    if (file === undefined) return;
    this.inProgress = undefined;
    fs.closeSync(file.fd);
    try {
      await unlink(file.path);
    } catch (err) {
      if (!isMissing(err)) throw sinkFileError(this.c.sink, 'remove', file.path, err);
    }
  }

  result(): TransactionalFileSinkResult {
    return { dir: this.c.dir, subtask: this.c.ctx.subtask, committedFiles: [...this.committedFiles], committedLines: this.committedLines };
  }
}
