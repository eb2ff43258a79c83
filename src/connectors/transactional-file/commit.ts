/**
 * The second phase: pending files become visible by an atomic rename to their final names.
 *
 * A commit may be replayed (after a recovery, the restored checkpoint's notes are committed again
 * whether or not the first commit got through) and may have been cut short between two renames,
 * so every file is judged on its own:
 *   pending present, final absent  → rename (the normal case);
 *   pending absent,  final present → already committed: nothing to do;
 *   both absent                     → the output of a completed checkpoint is gone: an error, never skipped;
 *   both present                    → a second writer produced the same final name: an error rather
 *                                     than overwriting committed output.
 */
import { lstat, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { WeirError } from '../../errors.ts';
import { fsyncDirectory } from '../../util/durable-fs.ts';
import { isMissing, sinkFileError } from './fs-error.ts';
import type { PendingPart } from './note.ts';

/**
 * Makes `parts` (files in `dir`) visible, then fsyncs the directory so the renames survive a
 * crash. `notedDir` is where the note said the files were, for the message when they are not found.
 * Returns how many files were renamed (0 for a replayed commit).
 */
export async function commitParts(dir: string, parts: readonly PendingPart[], sink: string, notedDir = dir): Promise<number> {
  let renamed = 0;
  for (const part of parts) {
    const pending = join(dir, part.pending);
    const final = join(dir, part.final);
    const pendingSize = await sizeOf(pending, sink);
    const finalSize = await sizeOf(final, sink);
    if (pendingSize === undefined) {
      if (finalSize !== undefined) continue;
      const moved = notedDir === dir ? '' : ` (the checkpoint recorded the directory ${notedDir})`;
      throw new WeirError(
        'WEIR_SINK',
        `sink "${sink}": the pending file ${pending} of checkpoint ${part.checkpointId} is missing and its committed file ${final} does not exist${moved}: that checkpoint's output would be lost`,
        { operator: sink },
      );
    }
    if (finalSize !== undefined) {
      throw new WeirError('WEIR_SINK', `sink "${sink}": cannot commit ${pending}: ${final} already exists (does another sink write the same directory and prefix?)`, {
        operator: sink,
      });
    }
    // The size was recorded after the file was fsynced at pre-commit: a shorter file lost data.
    if (pendingSize !== part.bytes) {
      throw new WeirError('WEIR_SINK', `sink "${sink}": the pending file ${pending} has ${pendingSize} bytes, its checkpoint recorded ${part.bytes}`, { operator: sink });
    }
    try {
      await rename(pending, final);
    } catch (err) {
      throw sinkFileError(sink, `rename to ${final}`, pending, err);
    }
    renamed++;
  }
  if (renamed > 0) await syncDirectory(dir, sink);
  return renamed;
}

export async function syncDirectory(dir: string, sink: string): Promise<void> {
  try {
    await fsyncDirectory(dir);
  } catch (err) {
    throw sinkFileError(sink, 'fsync the directory', dir, err);
  }
}

async function sizeOf(file: string, sink: string): Promise<number | undefined> {
  try {
    return (await lstat(file)).size;
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw sinkFileError(sink, 'stat', file, err);
  }
}
