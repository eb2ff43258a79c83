/**
 * Reading state snapshots (state-snapshot.ts writes them and describes the format): restoring
 * a worker's files — a full snapshot, then its deltas, in order — into a store, keeping only the
 * key groups asked for, and checking every frame on the way.
 */
import { rm } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { msgpackr } from '../state/lmdb-module.ts';
import { WeirError } from '../errors.ts';
import { HeapStore } from '../state/heap-store.ts';
import { LmdbStore, type LmdbStoreOptions } from '../state/lmdb-store.ts';
import type { StateStore } from '../state/store.ts';
import { keyGroupPredicate, type KeyGroupFilter } from '../checkpoint/key-groups.ts';
import { decodeDeletedKey, decodePair, PairCursor, StateCounts, type PairBlock } from './pair-block.ts';
import { readSnapshotFrames } from './snapshot-file.ts';
import { snapshotFormat as format, type DeletedKey, type EntryTuple, type SnapshotBackend } from './state-snapshot.ts';

export interface SnapshotSummary {
  backend: SnapshotBackend;
  createdAtMs: number;
  entries: number;
  states: Record<string, number>;
}

export interface RestoreOptions {
  /** Keep only these key groups (default: all). */
  keyGroups?: KeyGroupFilter;
  /** Keep only the states this accepts, by state id (default: all); the others count as filtered out. */
  states?: (stateId: string) => boolean;
  /** States restored from every key group, whatever `keyGroups` says (broadcast state: one copy per old worker). */
  anyKeyGroup?: (stateId: string) => boolean;
}

export interface RestoreResult {
  /** Entries put into the store. */
  restored: number;
  /** Keys deleted by deltas. */
  deleted: number;
  /** Entries left out by the key-group filter. */
  filteredOut: number;
  /** Entries restored per state id. */
  states: Record<string, number>;
}

/**
 * Puts the entries of snapshot `files` (several when parallelism changed) into `store` and flushes
 * it. On an error the store holds part of the state: discard it.
 */
export async function restoreIntoStore(store: StateStore, files: string | string[], opts: RestoreOptions = {}): Promise<RestoreResult> {
  const keep = keyGroupPredicate(opts.keyGroups);
  const result: RestoreResult = { restored: 0, deleted: 0, filteredOut: 0, states: {} };
  for (const file of typeof files === 'string' ? [files] : files) {
    for await (const entry of readEntries(file)) {
      const [state, keyGroup, key, namespace] = entry;
      if ((!keep(keyGroup) && !opts.anyKeyGroup?.(state)) || (opts.states && !opts.states(state))) {
        if (entry.length === 5) result.filteredOut++;
        continue;
      }
      if (entry.length === 4) {
        store.delete(state, keyGroup, key, namespace);
        result.deleted++;
        continue;
      }
      store.put(state, keyGroup, key, namespace, entry[4]);
      result.states[state] = (result.states[state] ?? 0) + 1;
      result.restored++;
    }
  }
  store.flush();
  return result;
}

/**
 * Opens a new LmdbStore at `opts.path` (missing or empty) holding the state of `files`. On an
 * error nothing is left at the path.
 */
export async function restoreLmdbStore(files: string | string[], opts: LmdbStoreOptions & RestoreOptions): Promise<{ store: LmdbStore; result: RestoreResult }> {
  if (directoryHasEntries(opts.path)) {
    throw new WeirError('WEIR_CONFIG', `cannot restore state into ${opts.path}: the directory is not empty (a restore starts from nothing)`);
  }
  const { keyGroups, ...storeOptions } = opts;
  const store = new LmdbStore(storeOptions);
  try {
    return { store, result: await restoreIntoStore(store, files, { keyGroups }) };
  } catch (err) {
    try {
      store.close();
    } catch {
      // the restore error is the one to report
    }
    await rm(opts.path, { recursive: true, force: true });
    throw err;
  }
}

/** A new HeapStore holding the state of `files`. */
export async function restoreHeapStore(
  files: string | string[],
  opts: RestoreOptions & { operatorNameOf?: (state: string) => string } = {},
): Promise<{ store: HeapStore; result: RestoreResult }> {
  const store = new HeapStore({ operatorNameOf: opts.operatorNameOf });
  return { store, result: await restoreIntoStore(store, files, { keyGroups: opts.keyGroups }) };
}

/** Reads a whole snapshot and checks it; returns what its header and end frame say (its state ids among them). */
export async function readSnapshotSummary(file: string): Promise<SnapshotSummary> {
  const summary: SnapshotSummary = { backend: 'store', createdAtMs: 0, entries: 0, states: {} };
  const hooks: FrameHooks = {
    onHeader: (h) => Object.assign(summary, { backend: h.backend, createdAtMs: h.createdAtMs }),
    // The end frame lists states without entries too.
    onEnd: (states) => (summary.states = { ...states }),
  };
  for await (const entry of readEntries(file, hooks)) if (entry.length === 5) summary.entries++;
  return summary;
}

/** Called with what a snapshot's header and end frame say. */
export interface FrameHooks {
  onHeader?(header: { backend: SnapshotBackend; createdAtMs: number }): void;
  onEnd?(states: Record<string, number>): void;
}

/** A frame's entries or deleted keys, checked. */
export type SnapshotBatch = { entries: EntryTuple[]; deletes?: undefined } | { deletes: DeletedKey[]; entries?: undefined };

/**
 * A frame's contents as its file holds them: pairs or deleted keys as LMDB's bytes (LMDB
 * snapshots), or tuples (heap snapshots, and LMDB ones written before snapshots held pairs).
 */
export type SnapshotPart =
  | { pairs: PairBlock; entries?: undefined; deletes?: undefined; deleted?: undefined }
  | { deleted: PairBlock; entries?: undefined; deletes?: undefined; pairs?: undefined }
  | { entries: EntryTuple[]; deletes?: undefined; pairs?: undefined; deleted?: undefined }
  | { deletes: DeletedKey[]; entries?: undefined; pairs?: undefined; deleted?: undefined };

/**
 * The entries and deletes of a snapshot a frame at a time (a frame holds up to 8192), decoded and
 * checked; throws WEIR_STATE when an entry is malformed or the end frame is missing or disagrees.
 */
export async function* readSnapshotBatches(file: string, hooks: FrameHooks = {}): AsyncGenerator<SnapshotBatch> {
  const damaged = (what: string) => new WeirError('WEIR_STATE', `state snapshot ${file}: ${what}`);
  // Copies byte-array values out of the frame, as lmdb-js does, so a value never pins a frame.
  const unpackr = new (msgpackr().Unpackr)({ copyBuffers: true });
  for await (const part of readSnapshotParts(file, hooks)) {
    if (part.entries || part.deletes) {
      yield part;
      continue;
    }
    try {
      const cursor = new PairCursor((part.pairs ?? part.deleted).bytes, part.pairs !== undefined);
      if (part.pairs) {
        const entries: EntryTuple[] = [];
        while (cursor.next()) entries.push(checkEntry(decodePair(cursor, unpackr), damaged));
        yield { entries };
      } else {
        const deletes: DeletedKey[] = [];
        while (cursor.next()) deletes.push(checkKey(decodeDeletedKey(cursor), damaged));
        yield { deletes };
      }
    } catch (err) {
      throw err instanceof WeirError ? err : damaged(`an entry cannot be decoded: ${(err as Error).message}`);
    }
  }
}

/**
 * The frames of a snapshot as parts, after checking its header, each frame's layout, and the end
 * frame's counts (of entries, deletes and entries per state); throws WEIR_STATE when one is wrong.
 * Pairs are walked but not decoded: a merge copies them as they are.
 */
export async function* readSnapshotParts(file: string, hooks: FrameHooks = {}): AsyncGenerator<SnapshotPart> {
  const damaged = (what: string) => new WeirError('WEIR_STATE', `state snapshot ${file}: ${what}`);
  let seenHeader = false;
  let count = 0;
  let deletes = 0;
  const states = new StateCounts();
  for await (const frame of readSnapshotFrames(file)) {
    const f = frame as { t?: unknown; format?: unknown; backend?: unknown; createdAtMs?: unknown; entries?: unknown; keys?: unknown; deletes?: unknown; states?: unknown; count?: unknown; bytes?: unknown };
    if (!seenHeader) {
      if (f?.t !== 'header' || f.format !== format) throw damaged('the first frame is not a state snapshot header');
      seenHeader = true;
      hooks.onHeader?.({ backend: f.backend as SnapshotBackend, createdAtMs: f.createdAtMs as number });
      continue;
    }
    if ((f?.t === 'pairs' || f?.t === 'deleted') && f.bytes instanceof Uint8Array && Number.isInteger(f.count)) {
      const block = { bytes: f.bytes, count: f.count as number };
      const walked = walkBlock(block, f.t === 'pairs' ? states : undefined, damaged);
      if (walked !== block.count) throw damaged(`a frame says it holds ${block.count} ${f.t === 'pairs' ? 'entries' : 'deleted keys'}, it holds ${walked}`);
      if (f.t === 'pairs') {
        count += walked;
        yield { pairs: block };
      } else {
        deletes += walked;
        yield { deleted: block };
      }
      continue;
    }
    if (f?.t === 'entries' && Array.isArray(f.entries)) {
      for (const entry of f.entries) {
        checkEntry(entry, damaged);
        states.addState(entry[0]);
      }
      count += f.entries.length;
      yield { entries: f.entries as EntryTuple[] };
      continue;
    }
    if (f?.t === 'deletes' && Array.isArray(f.keys)) {
      for (const key of f.keys) checkKey(key, damaged);
      deletes += f.keys.length;
      yield { deletes: f.keys as DeletedKey[] };
      continue;
    }
    if (f?.t === 'end') {
      if (f.entries !== count || !sameCounts(f.states, states.counts)) throw damaged(`the end frame counts ${String(f.entries)} entries, the file holds ${count}`);
      if ((f.deletes ?? 0) !== deletes) throw damaged(`the end frame counts ${String(f.deletes)} deletes, the file holds ${deletes}`);
      hooks.onEnd?.(f.states as Record<string, number>);
      return;
    }
    throw damaged(`unknown frame ${JSON.stringify(f?.t)}`);
  }
  throw damaged(seenHeader ? `the file ends after ${count} entries without its end frame (truncated)` : 'the file holds no frames (truncated)');
}

/** Walks a block (pairs when `states` is given, deleted keys otherwise), counting; returns how many it holds. */
function walkBlock(block: PairBlock, states: StateCounts | undefined, damaged: (what: string) => WeirError): number {
  let walked = 0;
  try {
    const cursor = new PairCursor(block.bytes, states !== undefined);
    while (cursor.next()) {
      states?.add(cursor.key, 0, cursor.keyBytes);
      walked++;
    }
  } catch (err) {
    throw damaged((err as Error).message);
  }
  return walked;
}

/** Every entry and deleted key of a snapshot, one at a time (readSnapshotBatches checks them). */
async function* readEntries(file: string, hooks: FrameHooks = {}): AsyncGenerator<EntryTuple | DeletedKey> {
  for await (const batch of readSnapshotBatches(file, hooks)) yield* batch.entries ?? batch.deletes;
}

function isKey(e: unknown[]): boolean {
  return typeof e[0] === 'string' && Number.isInteger(e[1]) && (e[1] as number) >= 0 && (typeof e[2] === 'string' || typeof e[2] === 'number') && typeof e[3] === 'string';
}

function checkEntry(entry: unknown, damaged: (what: string) => WeirError): EntryTuple {
  const e = entry as unknown[];
  if (!(Array.isArray(e) && e.length === 5 && isKey(e) && e[4] !== undefined)) throw damaged('an entry is not [state, keyGroup, key, namespace, value]');
  return e as EntryTuple;
}

function checkKey(key: unknown, damaged: (what: string) => WeirError): DeletedKey {
  const k = key as unknown[];
  if (!(Array.isArray(k) && k.length === 4 && isKey(k))) throw damaged('a deleted key is not [state, keyGroup, key, namespace]');
  return k as DeletedKey;
}

function sameCounts(expected: unknown, actual: Record<string, number>): boolean {
  if (expected === null || typeof expected !== 'object') return false;
  const listed = expected as Record<string, unknown>;
  // A state listed with 0 entries has none in the frames.
  return Object.keys(actual).every((k) => listed[k] === actual[k]) && Object.keys(listed).every((k) => listed[k] === (actual[k] ?? 0));
}

function directoryHasEntries(path: string): boolean {
  try {
    return readdirSync(path).length > 0;
  } catch {
    return false;
  }
}
