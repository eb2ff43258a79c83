/**
 * How checkpoints and savepoints are named on disk (see checkpoint-store.ts for the whole layout):
 * `chk-<id, 12 digits>` sorts by id in a listing, `savepoint-<name>` by name.
 */
import { savepointNameProblem, type CheckpointKind } from './metadata.ts';

export const metadataFileName = '_metadata';
/** A merged full snapshot waiting, in the checkpoints directory, for the next checkpoint to link it in (removed at open). */
export const mergingSuffix = '.merging';
const checkpointPrefix = 'chk-';
const savepointPrefix = 'savepoint-';
const idDigits = 12;

/** What a directory name says it holds. */
export type DirName = { kind: 'checkpoint'; id: number } | { kind: 'savepoint'; name: string };

export function dirNameOf(parsed: DirName): string {
  return parsed.kind === 'checkpoint' ? `${checkpointPrefix}${String(parsed.id).padStart(idDigits, '0')}` : `${savepointPrefix}${parsed.name}`;
}

export function parseDirName(name: string): DirName | undefined {
  if (name.startsWith(checkpointPrefix)) {
    const digits = name.slice(checkpointPrefix.length);
    return /^\d+$/.test(digits) && Number.isSafeInteger(Number(digits)) ? { kind: 'checkpoint', id: Number(digits) } : undefined;
  }
  if (name.startsWith(savepointPrefix)) {
    const savepointName = name.slice(savepointPrefix.length);
    return savepointNameProblem(savepointName) === undefined ? { kind: 'savepoint', name: savepointName } : undefined;
  }
  return undefined;
}

export function describeCheckpoint(m: { kind: CheckpointKind; id: number; savepointName?: string }): string {
  return m.kind === 'savepoint' ? `savepoint "${m.savepointName}"` : `checkpoint ${m.id}`;
}
