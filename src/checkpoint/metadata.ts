/**
 * What a completed checkpoint or savepoint records: where every source was, which state snapshot
 * file each worker wrote (with its size and checksum), and what each sink had pending. The
 * metadata is the checkpoint's commit point: a checkpoint exists once its metadata file does
 * (checkpoint-store.ts), and everything it names must be readable and unchanged for it to be used.
 *
 * The on-disk form (metadata-file.ts) is JSON behind a header line with the body's sha256, so a
 * torn, truncated or foreign file is told apart from a valid one. validateMetadata() checks a
 * parsed body field by field and says what is wrong, rather than letting a half-understood file
 * restore the wrong state.
 */

/** Bumped when a field changes meaning or a required field is added; older readers refuse newer files. */
export const metadataFormatVersion = 1;

export type { JsonValue } from '../util/json-value.ts';
import type { JsonValue } from '../util/json-value.ts';

export type CheckpointKind = 'checkpoint' | 'savepoint';

/** Where one partition of one source operator had got to: restored by the source on recovery. */
export interface SourcePosition {
  operatorUid: string;
  partition: number;
  /** Whatever the source needs to resume (an offset, a file position, a Kafka offset …). */
  position: JsonValue;
}

/** One worker's state snapshot file, relative to the checkpoint's directory. */
export interface StateFileRef {
  worker: number;
  /** A plain relative path inside the checkpoint directory ("worker-0.snapshot"); no "..", not absolute. */
  path: string;
  bytes: number;
  /** Lowercase hex sha256 of the whole file. */
  sha256: string;
}

/** What a sink had open at the barrier (a transaction id to commit or abort on recovery, a file name …). */
export interface SinkNote {
  sinkUid: string;
  subtask: number;
  note: JsonValue;
}

/**
 * Which operators of the job held what a checkpoint records, by uid (plan.ts operatorUid): a
 * restore compares them with the job it starts (runtime/job/job-identity.ts), so that a state dir
 * holding another job's checkpoints is not resumed from by mistake.
 */
export interface OperatorUids {
  /** Every source operator, whether or not it had positions to record. */
  sources: string[];
  /** Every keyed (stateful) operator: process functions, windows, joins. */
  stateful: string[];
}

export interface CheckpointMetadata {
  formatVersion: number;
  /** Monotonic per job: a later checkpoint has a larger id. Savepoints take ids from the same sequence. */
  id: number;
  kind: CheckpointKind;
  /** Set exactly when kind is 'savepoint'. */
  savepointName?: string;
  createdAtMs: number;
  jobName: string;
  parallelism: number;
  keyGroups: number;
  sourcePositions: SourcePosition[];
  stateFiles: StateFileRef[];
  sinkNotes: SinkNote[];
  /**
   * Micro-batch mode: the last epoch whose results the checkpoint holds. A run resumed from it
   * numbers its epochs on from there, and replays the epochs after it that the offset log holds
   * (offset-log.ts). Absent in continuous mode.
   */
  epoch?: number;
  /**
   * The job's sources and stateful operators. Absent in checkpoints written before weir recorded
   * it: a restore from those compares the job name and the sources that have positions only.
   */
  operators?: OperatorUids;
}

/** The metadata as the runtime hands it over: the store stamps the format version. */
export type CheckpointMetadataDraft = Omit<CheckpointMetadata, 'formatVersion'>;

export type Validation<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Savepoint names become directory names: a conservative character set, no dots in front. */
const savepointNamePattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
const sha256Pattern = /^[0-9a-f]{64}$/;

export function savepointNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || !savepointNamePattern.test(name) || name === 'latest') {
    return `savepoint name ${JSON.stringify(name)} must be 1–100 letters, digits, "_" or "-", starting with a letter or digit, and not "latest"`;
  }
  return undefined;
}

/** Why `path` is not a safe relative path inside a checkpoint directory, or undefined when it is. */
export function relativePathProblem(path: unknown): string | undefined {
  if (typeof path !== 'string' || path === '') return 'must be a non-empty string';
  if (path.startsWith('/') || path.includes('\\') || /^[A-Za-z]:/.test(path)) return 'must be relative';
  if (path.split('/').some((part) => part === '' || part === '.' || part === '..')) return 'must not contain empty, "." or ".." parts';
  if (path.startsWith('_metadata')) return 'must not shadow the metadata file';
  return undefined;
}

/** Checks a parsed metadata body; the reason names the first field that is wrong. */
export function validateMetadata(parsed: unknown): Validation<CheckpointMetadata> {
  try {
    return { ok: true, value: checkMetadata(parsed) };
  } catch (err) {
    if (err instanceof FieldError) return { ok: false, reason: err.message };
    throw err;
  }
}

class FieldError extends Error {}

function fail(message: string): never {
  throw new FieldError(message);
}

function checkMetadata(parsed: unknown): CheckpointMetadata {
  const m = record(parsed, 'metadata');
  const formatVersion = integer(m.formatVersion, 'formatVersion', 1);
  if (formatVersion > metadataFormatVersion) {
    fail(`formatVersion ${formatVersion} is newer than this version of weir reads (${metadataFormatVersion})`);
  }
  const kind = m.kind;
  if (kind !== 'checkpoint' && kind !== 'savepoint') fail(`kind must be "checkpoint" or "savepoint", not ${JSON.stringify(kind)}`);
  let savepointName: string | undefined;
  if (kind === 'savepoint') {
    const problem = savepointNameProblem(m.savepointName);
    if (problem) fail(`savepointName: ${problem}`);
    savepointName = m.savepointName as string;
  } else if (m.savepointName !== undefined) {
    fail('savepointName is only allowed on a savepoint');
  }
  const parallelism = integer(m.parallelism, 'parallelism', 1);
  const keyGroups = integer(m.keyGroups, 'keyGroups', 1);
  if (keyGroups < parallelism) fail(`keyGroups (${keyGroups}) must be at least parallelism (${parallelism})`);
  const metadata: CheckpointMetadata = {
    formatVersion,
    id: integer(m.id, 'id', 0),
    kind,
    ...(savepointName === undefined ? {} : { savepointName }),
    createdAtMs: integer(m.createdAtMs, 'createdAtMs', 0),
    jobName: nonEmptyString(m.jobName, 'jobName'),
    parallelism,
    keyGroups,
    sourcePositions: array(m.sourcePositions, 'sourcePositions').map((p, i) => checkSourcePosition(p, `sourcePositions[${i}]`)),
    stateFiles: array(m.stateFiles, 'stateFiles').map((f, i) => checkStateFile(f, `stateFiles[${i}]`)),
    sinkNotes: array(m.sinkNotes, 'sinkNotes').map((n, i) => checkSinkNote(n, `sinkNotes[${i}]`)),
    ...(m.epoch === undefined ? {} : { epoch: integer(m.epoch, 'epoch', 0) }),
    ...(m.operators === undefined ? {} : { operators: checkOperatorUids(m.operators) }),
  };
  const seenPositions = new Set<string>();
  for (const p of metadata.sourcePositions) {
    const id = JSON.stringify([p.operatorUid, p.partition]);
    if (seenPositions.has(id)) fail(`sourcePositions: source "${p.operatorUid}" partition ${p.partition} appears twice`);
    seenPositions.add(id);
  }
  const seenPaths = new Set<string>();
  for (const f of metadata.stateFiles) {
    if (seenPaths.has(f.path)) fail(`stateFiles: "${f.path}" appears twice`);
    seenPaths.add(f.path);
  }
  return metadata;
}

function checkOperatorUids(value: unknown): OperatorUids {
  const o = record(value, 'operators');
  const uids = (list: unknown, where: string) => array(list, where).map((uid, i) => nonEmptyString(uid, `${where}[${i}]`));
  return { sources: uids(o.sources, 'operators.sources'), stateful: uids(o.stateful, 'operators.stateful') };
}

function checkSourcePosition(value: unknown, where: string): SourcePosition {
  const p = record(value, where);
  if (!('position' in p)) fail(`${where}.position is missing`);
  return { operatorUid: nonEmptyString(p.operatorUid, `${where}.operatorUid`), partition: integer(p.partition, `${where}.partition`, 0), position: json(p.position, `${where}.position`) };
}

function checkStateFile(value: unknown, where: string): StateFileRef {
  const f = record(value, where);
  const problem = relativePathProblem(f.path);
  if (problem) fail(`${where}.path ${JSON.stringify(f.path)} ${problem}`);
  if (typeof f.sha256 !== 'string' || !sha256Pattern.test(f.sha256)) fail(`${where}.sha256 must be 64 lowercase hex digits`);
  return { worker: integer(f.worker, `${where}.worker`, 0), path: f.path as string, bytes: integer(f.bytes, `${where}.bytes`, 0), sha256: f.sha256 };
}

function checkSinkNote(value: unknown, where: string): SinkNote {
  const n = record(value, where);
  if (!('note' in n)) fail(`${where}.note is missing`);
  return { sinkUid: nonEmptyString(n.sinkUid, `${where}.sinkUid`), subtask: integer(n.subtask, `${where}.subtask`, 0), note: json(n.note, `${where}.note`) };
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`${where} must be an object`);
  return value as Record<string, unknown>;
}

function array(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) fail(`${where} must be an array`);
  return value;
}

function integer(value: unknown, where: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) fail(`${where} must be an integer ≥ ${min}, not ${JSON.stringify(value)}`);
  return value;
}

function nonEmptyString(value: unknown, where: string): string {
  if (typeof value !== 'string' || value === '') fail(`${where} must be a non-empty string`);
  return value;
}

/** A value that survives JSON unchanged (what a position or sink note must be). */
function json(value: unknown, where: string, depth = 0): JsonValue {
  if (depth > 64) fail(`${where} is nested too deeply`);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(`${where} must be JSON (a finite number)`);
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => json(v, `${where}[${i}]`, depth + 1));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) json(v, `${where}.${k}`, depth + 1);
    return value as JsonValue;
  }
  fail(`${where} must be JSON (plain objects, arrays, strings, finite numbers, booleans, null)`);
}
