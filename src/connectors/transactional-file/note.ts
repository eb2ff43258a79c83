/**
 * The note a transactional file sink subtask stores in a checkpoint: every file it has
 * pre-committed and not yet committed. Recovery renames them (commit.ts), so a note read back
 * from a checkpoint is validated before any name in it is used.
 */
import { WeirError } from '../../errors.ts';
import type { JsonValue } from '../types.ts';
import { badBucketReason } from './buckets.ts';
import { isPlainFileName } from './names.ts';

/** A pre-committed file: its hidden pending name, the visible name it gets at commit, its size, and its bucket (buckets.ts) if it has one. */
export interface PendingPart {
  pending: string;
  final: string;
  bytes: number;
  checkpointId: number;
  bucket?: string;
}

export interface FileSinkNote {
  /** The directory the files are in, when the note was written (for messages: names are relative to the sink's dir). */
  dir: string;
  files: PendingPart[];
}

export function noteToJson(note: FileSinkNote): JsonValue {
  return {
    dir: note.dir,
    files: note.files.map((f) => ({ pending: f.pending, final: f.final, bytes: f.bytes, checkpointId: f.checkpointId, ...(f.bucket !== undefined ? { bucket: f.bucket } : {}) })),
  };
}

/** Reads a note back; a malformed one is a WEIR_SINK error naming the sink and the subtask that wrote it. */
export function noteFromJson(value: JsonValue, sink: string, subtask: number): FileSinkNote {
  const bad = (what: string): never => {
    throw new WeirError('WEIR_SINK', `sink "${sink}": the checkpoint note of subtask ${subtask} is malformed: ${what}`, { operator: sink });
  };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return bad('not an object');
  const { dir, files } = value;
  if (typeof dir !== 'string') return bad('dir is not a string');
  if (!Array.isArray(files)) return bad('files is not an array');
  return {
    dir,
    files: files.map((f, i) => {
      if (f === null || typeof f !== 'object' || Array.isArray(f)) return bad(`files[${i}] is not an object`);
      const { pending, final, bytes, checkpointId, bucket } = f;
      // Only hidden names may be renamed, and only into visible ones, inside the sink's directory.
      if (typeof pending !== 'string' || !isPlainFileName(pending) || !pending.startsWith('.')) return bad(`files[${i}].pending is not a hidden file name`);
      if (typeof final !== 'string' || !isPlainFileName(final) || final.startsWith('.')) return bad(`files[${i}].final is not a visible file name`);
      if (!Number.isSafeInteger(bytes) || (bytes as number) < 0) return bad(`files[${i}].bytes is not a byte count`);
      if (!Number.isSafeInteger(checkpointId)) return bad(`files[${i}].checkpointId is not an integer`);
      if (bucket !== undefined && badBucketReason(bucket) !== undefined) return bad(`files[${i}].bucket: ${badBucketReason(bucket)}`);
      return { pending, final, bytes: bytes as number, checkpointId: checkpointId as number, ...(bucket !== undefined ? { bucket: bucket as string } : {}) };
    }),
  };
}
