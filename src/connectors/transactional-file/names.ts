/**
 * File names of the transactional file sink. A part file goes through three names:
 *
 *   .<prefix>-<uid>-<subtask>-<seq>.inprogress   being written (records since the last pre-commit)
 *   .<prefix>-<uid>-<subtask>-<checkpoint>.pending   pre-committed: durable, waiting for its checkpoint
 *   <prefix>-<subtask>-<checkpoint><ext>          committed: visible output
 *
 * The leading dot hides the first two from readers (readCommittedLines, `ls`, most globbing).
 * The hidden names carry the sink's uid so that a sink only ever cleans up its own leftovers;
 * the uid is URI-encoded because an operator uid may contain any character.
 */

export type HiddenKind = 'inprogress' | 'pending';

export interface HiddenPart {
  kind: HiddenKind;
  subtask: number;
  /** The sequence number of an in-progress file, the checkpoint id of a pending one. */
  n: number;
}

export interface FinalPart {
  subtask: number;
  checkpointId: number;
}

export function inProgressName(prefix: string, uid: string, subtask: number, seq: number): string {
  return `${hiddenStem(prefix, uid)}${subtask}-${seq}.inprogress`;
}

export function pendingName(prefix: string, uid: string, subtask: number, checkpointId: number): string {
  return `${hiddenStem(prefix, uid)}${subtask}-${checkpointId}.pending`;
}

export function finalName(prefix: string, subtask: number, checkpointId: number, ext: string): string {
  return `${prefix}-${subtask}-${checkpointId}${ext}`;
}

/** An in-progress or pending file of this prefix and uid, or undefined for any other name. */
export function parseHidden(name: string, prefix: string, uid: string): HiddenPart | undefined {
  const stem = hiddenStem(prefix, uid);
  if (!name.startsWith(stem)) return undefined;
  // Anchored on the whole rest: the uid "a" does not claim ".part-a-1-2-3.pending" of the uid "a-1".
  const m = /^(\d+)-(\d+)\.(inprogress|pending)$/.exec(name.slice(stem.length));
  if (!m) return undefined;
  return { kind: m[3] as HiddenKind, subtask: Number(m[1]), n: Number(m[2]) };
}

/** A committed file of this prefix (any extension), or undefined. */
export function parseFinal(name: string, prefix: string): FinalPart | undefined {
  if (!name.startsWith(`${prefix}-`)) return undefined;
  const m = /^(\d+)-(\d+)(\.[^.]*)?$/.exec(name.slice(prefix.length + 1));
  if (!m) return undefined;
  return { subtask: Number(m[1]), checkpointId: Number(m[2]) };
}

/** A name that is a single plain entry of a directory: what a note may name (it comes from a checkpoint file). */
export function isPlainFileName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}

function hiddenStem(prefix: string, uid: string): string {
  return `.${prefix}-${encodeURIComponent(uid)}-`;
}
