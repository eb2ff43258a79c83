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
 *
 * With `bucket`, each record's line goes to a subdirectory of its own (buckets.ts), where the same
 * three names are used: a checkpoint pre-commits and commits the part files of every bucket its
 * records went to, together.
 */
import * as fs from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WeirError } from '../../errors.ts';
import { LineBuffer, lineFormatter, resolveSinkPath, type LineFormat } from '../line-output.ts';
import type { JsonValue, SinkContext, SinkSpec, SinkWriter } from '../types.ts';
import { commitParts, syncDirectory } from './commit.ts';
import { badBucketReason, bucketDir, byBucket } from './buckets.ts';
import { isMissing, sinkFileError } from './fs-error.ts';
import { finalName, inProgressName, isPlainFileName, pendingName } from './names.ts';
import { noteToJson, type PendingPart } from './note.ts';
import { makeDirectory, prepareDirectory, syncCreated } from './recover.ts';
import { checkKnownKeys, type KeySet } from '../../util/known-keys.ts';

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
  /**
   * The subdirectory of `dir` a record's line goes to (Flink's BucketAssigner), such as
   * `dt=2026-12-07/hm=10:15`: plain names joined by "/", none starting with "."; made on first
   * use. Default: every line in `dir` itself. Each bucket written since the last checkpoint holds
   * an open file: bucket by what has few values per checkpoint interval (a time, a category),
   * not by a key of many.
   */
  bucket?: (value: T) => string;
}

/** What result() reports per subtask: the files this writer committed (recovery commits are not counted). */
export interface TransactionalFileSinkResult {
  dir: string;
  subtask: number;
  /** Relative to `dir` (`<bucket>/<file>` with buckets). */
  committedFiles: string[];
  committedLines: number;
}

const transactionalFileSinkKeys = { dir: true, name: true, format: true, prefix: true, bucket: true } as const satisfies KeySet<TransactionalFileSinkOptions<unknown>>;

/**
 * Writes one line per value into files that become visible only when a checkpoint completes
 * (guarantee 'exactly-once'). At open, a subtask commits what the restored checkpoint's notes
 * name and removes hidden leftovers of earlier attempts — on a fresh start, every leftover
 * in-progress or pending file of this sink — and refuses to start over committed output of a
 * checkpoint later than the one it resumes from (it would be written twice).
 */
export function transactionalFileSink<T>(opts: TransactionalFileSinkOptions<T>): SinkSpec<T> {
  checkKnownKeys('transactionalFileSink', opts, transactionalFileSinkKeys);
  if (typeof opts.dir !== 'string' || opts.dir === '') throw new WeirError('WEIR_CONFIG', 'transactionalFileSink: dir is required');
  const name = opts.name ?? `transactional-file:${opts.dir}`;
  const prefix = opts.prefix ?? 'part';
  if (typeof prefix !== 'string' || !isPlainFileName(prefix) || prefix.startsWith('.')) {
    throw new WeirError('WEIR_CONFIG', `sink "${name}": prefix must be a file name that does not start with "."`);
  }
  if (opts.bucket !== undefined && typeof opts.bucket !== 'function') throw new WeirError('WEIR_CONFIG', `sink "${name}": bucket must be a function of the record`);
  const format = lineFormatter(opts.format, name);
  const ext = opts.format === undefined || opts.format === 'jsonl' ? '.jsonl' : '.txt';
  return {
    kind: 'transactional-file',
    name,
    guarantee: 'exactly-once',
    open: async (ctx: SinkContext) => {
      const dir = resolveSinkPath(ctx.workDir, opts.dir);
      await prepareDirectory({ dir, prefix, sink: name, ctx, buckets: opts.bucket !== undefined });
      return new TransactionalFileWriter<T>({ dir, prefix, ext, sink: name, format, bucketOf: opts.bucket, ctx });
    },
  };
}

interface WriterConfig<T> {
  dir: string;
  prefix: string;
  ext: string;
  sink: string;
  format: (value: T) => string;
  bucketOf: ((value: T) => string) | undefined;
  ctx: SinkContext;
}

interface InProgress {
  path: string;
  fd: number;
  bytes: number;
  lines: number;
}

/** The lines of one bucket (or of the sink's directory) since the last pre-commit. */
interface Open {
  /** undefined: the sink's directory itself. */
  bucket: string | undefined;
  dir: string;
  buffer: LineBuffer;
  bufferedLines: number;
  inProgress: InProgress | undefined;
  /** The first directory level made for this bucket, made durable at its pre-commit. */
  created: string | undefined;
}

class TransactionalFileWriter<T> implements SinkWriter<T> {
  /** By bucket ('' for none); emptied at each pre-commit, so only buckets written since are here. */
  private readonly open = new Map<string, Open>();
  private seq = 0;
  /** Pre-committed, not yet committed; oldest first. */
  private pending: Array<PendingPart & { lines: number }> = [];
  private lastPreCommitted = -Infinity;
  private readonly committedFiles: string[] = [];
  private committedLines = 0;

  constructor(private readonly c: WriterConfig<T>) {}

  write(value: T): void {
    const open = this.openFor(value);
    open.bufferedLines++;
    if (open.buffer.push(this.c.format(value))) this.writeOut(open);
  }

  private openFor(value: T): Open {
    const bucketOf = this.c.bucketOf;
    let bucket: string | undefined;
    if (bucketOf !== undefined) {
      // Plain errors: the runtime names the sink and the record's position (a failed job).
      try {
        bucket = bucketOf(value);
      } catch (err) {
        throw new Error(`its bucket function threw: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      const bad = badBucketReason(bucket);
      if (bad !== undefined) throw new Error(`its bucket function gave no bucket: ${bad}`);
    }
    const key = bucket ?? '';
    let open = this.open.get(key);
    if (open === undefined) {
      open = { bucket, dir: bucketDir(this.c.dir, bucket), buffer: new LineBuffer(), bufferedLines: 0, inProgress: undefined, created: undefined };
      this.open.set(key, open);
    }
    return open;
  }

  /** Hands buffered lines to the in-progress file (made on first use, so an idle checkpoint makes no file). */
  private writeOut(open: Open): void {
    if (open.buffer.empty) return;
    const file = open.inProgress ?? this.openInProgress(open);
    try {
      file.bytes += open.buffer.writeTo(file.fd);
    } catch (err) {
      throw sinkFileError(this.c.sink, 'write', file.path, err);
    }
    file.lines += open.bufferedLines;
    open.bufferedLines = 0;
  }

  private openInProgress(open: Open): InProgress {
    const { prefix, sink, ctx } = this.c;
    const path = join(open.dir, inProgressName(prefix, ctx.sinkUid, ctx.subtask, this.seq++));
    // A bucket's directory is made with its first file, and made durable in its parent at the
    // pre-commit, before a note can name a file in it.
    if (open.bucket !== undefined) open.created ??= makeDirectory(open.dir, sink);
    try {
      open.inProgress = { path, fd: fs.openSync(path, 'wx'), bytes: 0, lines: 0 };
    } catch (err) {
      throw sinkFileError(sink, 'create', path, err);
    }
    return open.inProgress;
  }

  /** Writes to the in-progress files only: nothing becomes visible before a commit. */
  flush(): void {
    for (const open of this.open.values()) this.writeOut(open);
  }

  async preCommit(checkpointId: number): Promise<JsonValue> {
    const { dir, prefix, ext, sink, ctx } = this.c;
    if (!(checkpointId > this.lastPreCommitted)) {
      throw new WeirError('WEIR_SINK', `sink "${sink}": pre-commit of checkpoint ${checkpointId} after checkpoint ${this.lastPreCommitted}`, { operator: sink });
    }
    this.lastPreCommitted = checkpointId;
    const opens = [...this.open.values()];
    this.open.clear();
    for (const open of opens) {
      this.writeOut(open);
      const file = open.inProgress;
      if (file === undefined) continue;
      open.inProgress = undefined;
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
        await rename(file.path, join(open.dir, pending));
      } catch (err) {
        throw sinkFileError(sink, `rename to ${pending}`, file.path, err);
      }
      await syncDirectory(open.dir, sink);
      await syncCreated(open.dir, open.created, sink);
      const part = { pending, final: finalName(prefix, ctx.subtask, checkpointId, ext), bytes: file.bytes, checkpointId, lines: file.lines };
      this.pending.push(open.bucket === undefined ? part : { ...part, bucket: open.bucket });
    }
    // Every file still pending, not only this checkpoint's: if an earlier checkpoint's commit
    // never comes (it failed, or the process dies first), recovery from this one commits them.
    return noteToJson({ dir, files: this.pending });
  }

  async commit(checkpointId: number): Promise<void> {
    const due = this.pending.filter((p) => p.checkpointId <= checkpointId);
    if (due.length === 0) return;
    for (const [bucket, parts] of byBucket(due)) await commitParts(bucketDir(this.c.dir, bucket), parts, this.c.sink);
    this.pending = this.pending.filter((p) => p.checkpointId > checkpointId);
    for (const p of due) {
      this.committedFiles.push(p.bucket === undefined ? p.final : `${p.bucket}/${p.final}`);
      this.committedLines += p.lines;
    }
  }

  /** Drops what no pre-commit took (buffers and in-progress files); pending files stay for commit or recovery. */
  async close(): Promise<void> {
    const opens = [...this.open.values()];
    this.open.clear();
    for (const open of opens) {
      open.buffer.clear();
      const file = open.inProgress;
      if (file === undefined) continue;
      open.inProgress = undefined;
      fs.closeSync(file.fd);
      try {
        await unlink(file.path);
      } catch (err) {
        if (!isMissing(err)) throw sinkFileError(this.c.sink, 'remove', file.path, err);
      }
    }
  }

  result(): TransactionalFileSinkResult {
    return { dir: this.c.dir, subtask: this.c.ctx.subtask, committedFiles: [...this.committedFiles], committedLines: this.committedLines };
  }
}
