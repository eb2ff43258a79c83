/**
 * What a transactional file sink subtask does at open, before it writes anything: finish the
 * commits of the checkpoint the job resumes from, and clear away what earlier attempts left.
 *
 * Responsibility for old files goes by subtask number modulo the current parallelism — the rule
 * the runtime uses for recovery notes — so a job may resume with another parallelism: with 2
 * subtasks, subtask 1 commits and cleans up after the old subtasks 1, 3, 5 … Every old subtask
 * number has exactly one responsible new subtask, so no two threads touch the same file.
 */
import { mkdirSync } from 'node:fs';
import { readdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { WeirError } from '../../errors.ts';
import type { SinkContext } from '../types.ts';
import { commitParts, syncDirectory } from './commit.ts';
import { isMissing, sinkFileError } from './fs-error.ts';
import { parseFinal, parseHidden } from './names.ts';
import { noteFromJson } from './note.ts';

export interface RecoverOptions {
  dir: string;
  prefix: string;
  sink: string;
  ctx: SinkContext;
}

export async function prepareDirectory({ dir, prefix, sink, ctx }: RecoverOptions): Promise<void> {
  await createDirectory(dir, sink);
  const mine = (subtask: number) => subtask % ctx.parallelism === ctx.subtask;

  // 1. The restored checkpoint completed, so its output must become visible even if the crash
  //    came before (or in the middle of) its commit. Replays are harmless (commit.ts).
  for (const { subtask, note } of ctx.recovery?.notes ?? []) {
    if (!mine(subtask)) continue;
    const parsed = noteFromJson(note, sink, subtask);
    await commitParts(dir, parsed.files, sink, parsed.dir);
  }

  // 2. Everything still hidden is work no completed checkpoint vouches for: in-progress files,
  //    and pending files of later checkpoints (their records are replayed from the restored
  //    source positions). On a fresh start that is every leftover of this sink.
  const resumedFrom = ctx.recovery?.checkpointId ?? 0;
  const doomed: string[] = [];
  for (const name of await listDirectory(dir, sink)) {
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
  let first: string | undefined;
  try {
    first = mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw sinkFileError(sink, 'create the directory', dir, err);
  }
  if (first === undefined) return;
  // mkdir -p may have created several levels: each new entry lives in its parent.
  for (let d = dir; ; d = dirname(d)) {
    await syncDirectory(dirname(d), sink);
    if (d === first || dirname(d) === d) break;
  }
}

async function listDirectory(dir: string, sink: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    throw sinkFileError(sink, 'list the directory', dir, err);
  }
}
