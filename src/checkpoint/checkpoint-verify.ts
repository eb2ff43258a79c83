/**
 * Checking a checkpoint directory before it is used: its metadata file (checksum, fields, and
 * agreement with the directory's name), then every state file it names (present, recorded size,
 * recorded sha256). Each failure comes back as a reason, for the fallback to report.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { metadataFileName, describeCheckpoint, type DirName } from './checkpoint-layout.ts';
import { sha256OfFile, tempSuffix } from '../util/durable-fs.ts';
import { decodeMetadataFile } from './metadata-file.ts';
import { relativePathProblem, type CheckpointMetadata, type StateFileRef } from './metadata.ts';

/** A checkpoint or savepoint whose metadata and every state file were read and checked. */
export interface VerifiedCheckpoint {
  metadata: CheckpointMetadata;
  dir: string;
  /** The state files with their absolute paths, in metadata order. */
  stateFiles: Array<StateFileRef & { absolutePath: string }>;
}

export type ReadResult<T> = { ok: true; value: T } | { ok: false; reason: string; neverCompleted: boolean };

/** Reads and checks `dir/_metadata`; when the directory's name is one of ours, the metadata must agree with it. */
export async function readMetadata(dir: string, expected: DirName | undefined): Promise<ReadResult<CheckpointMetadata>> {
  const path = join(dir, metadataFileName);
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') return { ok: false, reason: `cannot read the metadata: ${(cause as Error).message}`, neverCompleted: false };
    const temp = (await sizeOf(path + tempSuffix)) !== undefined;
    return {
      ok: false,
      reason: temp ? 'never completed: only a temporary metadata file (the run stopped before the rename)' : 'never completed: no metadata',
      neverCompleted: true,
    };
  }
  const decoded = decodeMetadataFile(data);
  if (!decoded.ok) return { ...decoded, neverCompleted: false };
  const m = decoded.value;
  if (expected?.kind === 'checkpoint' && (m.kind !== 'checkpoint' || m.id !== expected.id)) {
    return { ok: false, reason: `the metadata describes ${describeCheckpoint(m)}, not checkpoint ${expected.id} (copied from elsewhere?)`, neverCompleted: false };
  }
  if (expected?.kind === 'savepoint' && (m.kind !== 'savepoint' || m.savepointName !== expected.name)) {
    return { ok: false, reason: `the metadata describes ${describeCheckpoint(m)}, not savepoint "${expected.name}" (copied from elsewhere?)`, neverCompleted: false };
  }
  return { ok: true, value: m };
}

/** The metadata, and every state file present with its recorded size and sha256. */
export async function verifyDirectory(dir: string, expected: DirName | undefined): Promise<ReadResult<VerifiedCheckpoint>> {
  const read = await readMetadata(dir, expected);
  if (!read.ok) return read;
  const stateFiles: VerifiedCheckpoint['stateFiles'] = [];
  for (const file of read.value.stateFiles) {
    // Validation already refused absolute and ".." paths; checked again because this is the line
    // that would otherwise read outside the checkpoint.
    if (relativePathProblem(file.path)) return { ok: false, reason: `state file path ${JSON.stringify(file.path)} is not inside the checkpoint`, neverCompleted: false };
    const absolutePath = join(dir, file.path);
    const size = await sizeOf(absolutePath);
    if (size === undefined) return { ok: false, reason: `state file ${file.path} (worker ${file.worker}) is missing`, neverCompleted: false };
    if (size !== file.bytes) {
      return { ok: false, reason: `state file ${file.path} (worker ${file.worker}) has ${size} bytes, the metadata says ${file.bytes} (truncated or overwritten)`, neverCompleted: false };
    }
    const { sha256 } = await sha256OfFile(absolutePath);
    if (sha256 !== file.sha256) return { ok: false, reason: `state file ${file.path} (worker ${file.worker}) checksum mismatch: the file was changed or damaged`, neverCompleted: false };
    stateFiles.push({ ...file, absolutePath });
  }
  return { ok: true, value: { metadata: read.value, dir, stateFiles } };
}

/** A file's size, or undefined when it does not exist (with `directory`, whether a directory exists: 0). */
export async function sizeOf(path: string, directory = false): Promise<number | undefined> {
  try {
    const s = await stat(path);
    if (directory) return s.isDirectory() ? 0 : undefined;
    return s.isFile() ? s.size : undefined;
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT' || (cause as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw cause;
  }
}

