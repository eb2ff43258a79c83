/**
 * What a transactional file sink subtask does at open, before it writes anything: finish the
 * commits of the checkpoint the job resumes from, and clear away what earlier attempts left.
 *
 * Responsibility for old files goes by subtask number modulo the current parallelism — the rule
 * the runtime uses for recovery notes — so a job may resume with another parallelism: with 2
 * subtasks, subtask 1 commits and cleans up after the old subtasks 1, 3, 5 … Every old subtask
 * number has exactly one responsible new subtask, so no two threads touch the same file.
 *
 * A sink with buckets does the same in every subdirectory of its directory: its hidden files can
 * be in any bucket ever written. Directories whose names start with "." are never buckets.
 */
import { mkdirSync, type Dirent } from 'node:fs';
import { readdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { WeirError } from '../../errors.ts';
import type { SinkContext } from '../types.ts';
import { bucketDir, byBucket } from './buckets.ts';
import { commitParts, syncDirectory } from './commit.ts';
import { isMissing, sinkFileError } from './fs-error.ts';
import { parseFinal, parseHidden } from './names.ts';
import { noteFromJson } from './note.ts';

export interface RecoverOptions {
  dir: string;
  prefix: string;
  sink: string;
  ctx: SinkContext;
  /** The sink writes into buckets (subdirectories): they are cleaned up too. */
  buckets?: boolean;
}

export async function prepareDirectory({ dir, prefix, sink, ctx, buckets = false }: RecoverOptions): Promise<void> {
  await createDirectory(dir, sink);
  const mine = (subtask: number) => subtask % ctx.parallelism === ctx.subtask;

  // 1. The restored checkpoint completed, so its output must become visible even if the crash
  //    came before (or in the middle of) its commit. Replays are harmless (commit.ts).
  for (const { subtask, note } of ctx.recovery?.notes ?? []) {
    if (!mine(subtask)) continue;
    const parsed = noteFromJson(note, sink, subtask);
    for (const [bucket, parts] of byBucket(parsed.files)) await commitParts(bucketDir(dir, bucket), parts, sink, bucketDir(parsed.dir, bucket));
  }

  // 2. Everything still hidden is work no completed checkpoint vouches for: in-progress files,
  //    and pending files of later checkpoints (their records are replayed from the restored
  //    source positions). On a fresh start that is every leftover of this sink.
  const resumedFrom = ctx.recovery?.checkpointId ?? 0;
  await clearLeftovers(dir, { prefix, sink, ctx, mine, resumedFrom, buckets });
}

interface Leftovers {
  prefix: string;
  sink: string;
  ctx: SinkContext;
  mine(subtask: number): boolean;
  resumedFrom: number;
  buckets: boolean;
}

/** Step 2 in `dir` (and, for a sink with buckets, in every bucket below it). */
async function clearLeftovers(dir: string, o: Leftovers): Promise<void> {
  const { prefix, sink, ctx, mine, resumedFrom } = o;
  const doomed: string[] = [];
  for (const entry of await listDirectory(dir, sink)) {
    const name = entry.name;
    if (entry.isDirectory()) {
      if (o.buckets && !name.startsWith('.')) await clearLeftovers(join(dir, name), o);
      continue;
    }
    const hidden = parseHidden(name, prefix, ctx.sinkUid);
    if (hidden !== undefined) {
      if (mine(hidden.subtask)) doomed.push(name);
      continue;
    }
    // Committed output the resumed job is about to write again: restoring an older checkpoint
    // than the last committed one (or starting afresh over old output) would duplicate it.
    const final = parseFinal(name, prefix);
    if (final !== undefined && mine(final.subtask) && final.checkpointId > resumedFrom) {
      const from = ctx.recovery ? `resumes from checkpoint ${resumedFrom}` : 'starts without a checkpoint';
      throw new WeirError(
        'WEIR_SINK',
        `sink "${sink}": ${join(dir, name)} holds committed output of checkpoint ${final.checkpointId} but the job ${from}: its records would be written twice; remove the earlier output or use another dir or prefix`,
        { operator: sink },
      );
    }
  }
  for (const name of doomed) {
    try {
      await unlink(join(dir, name));
    } catch (err) {
      if (!isMissing(err)) throw sinkFileError(sink, 'remove', join(dir, name), err);
    }
  }
  if (doomed.length > 0) await syncDirectory(dir, sink);
}

/** Creates the directory; a newly created one is made durable in its parent (else a crash could take it, pending files and all). */
async function createDirectory(dir: string, sink: string): Promise<void> {
  await syncCreated(dir, makeDirectory(dir, sink), sink);
}

/** mkdir -p: the first directory it created, or undefined when `dir` was there. Not durable until syncCreated. */
export function makeDirectory(dir: string, sink: string): string | undefined {
  try {
    return mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw sinkFileError(sink, 'create the directory', dir, err);
  }
}

/** Makes the levels makeDirectory created, from `first` down to `dir`, durable in their parents. */
export async function syncCreated(dir: string, first: string | undefined, sink: string): Promise<void> {
  if (first === undefined) return;
  // mkdir -p may have created several levels: each new entry lives in its parent.
  for (let d = dir; ; d = dirname(d)) {
    await syncDirectory(dirname(d), sink);
    if (d === first || dirname(d) === d) break;
  }
}

async function listDirectory(dir: string, sink: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw sinkFileError(sink, 'list the directory', dir, err);
  }
}
