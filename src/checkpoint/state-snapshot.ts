/**
 * Snapshots of a worker's keyed state, as a file of entries (snapshot-file.ts frames; state-restore.ts reads them):
 *
 *   { t: 'header', format: 'weir-state-snapshot', backend, createdAtMs, delta? }
 *   { t: 'entries', entries: [[state, keyGroup, key, namespace, value], …] }   (up to 8192 per frame)
 *   { t: 'deletes', keys: [[state, keyGroup, key, namespace], …] }               (deltas only)
 *   { t: 'end', entries: <count>, deletes?: <count>, states: { [state]: <count> } }
 *
 * A full snapshot holds every entry. A delta (LMDB, incremental checkpoints) holds only the keys
 * changed since the previous snapshot of the same store: their value at the cut, or a delete. A
 * worker's state is then a full snapshot and the deltas after it, restored in that order.
 *
 * One format for both backends, so a job can move between LMDB and the heap, and one entry at a
 * time, so a restore can keep only the key groups a worker owns (parallelism changed). The end
 * frame counts what came before it: a file cut at a frame boundary is caught too. It also lists
 * every state id — the StateStore contract has no way to enumerate them; a snapshot can.
 *
 * LMDB: the store is flushed (its write-back cache holds changes LMDB does not have yet) and a
 * read transaction is opened on the same environment in the same synchronous step, so the view is
 * the state at the call. The entries are then copied out a chunk at a time, giving the event loop
 * a turn between chunks: the worker keeps writing (LMDB readers never block writers) and none of
 * its later writes enter the snapshot. lmdb-js's `backup()` (mdb_env_copy2) is not used: it opens
 * its read transaction later, on a libuv thread, so write-backs the worker commits in between
 * could end up in a snapshot that must reflect the barrier; and its page copy cannot be filtered
 * by key group. While the copy runs LMDB cannot reuse pages freed after its start, so the file
 * may grow by what is written meanwhile.
 *
 * Heap (or any StateStore): the caller names the state ids. Entries are encoded synchronously at
 * the call — a reduce/aggregate accumulator may be changed in place later (keyed-state.ts), so
 * keeping references would not be a snapshot — and written afterwards.
 */
import { rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { open, type Key, type RootDatabase } from 'lmdb';
import { Packr } from 'msgpackr';
import { WeirError } from '../errors.ts';
import { HeapStore } from '../state/heap-store.ts';
import { LmdbStore } from '../state/lmdb-store.ts';
import type { ChangedKey } from '../state/change-log.ts';
import type { StateStore, StoredKey } from '../state/store.ts';
import { encodeFrame, SnapshotFileWriter, type WrittenFile } from './snapshot-file.ts';

export const snapshotFormat = 'weir-state-snapshot';
const format = snapshotFormat;
/** Entries per frame: large enough to share a frame's cost, small enough to yield often. */
export const entriesPerFrame = 8192;

export type SnapshotBackend = 'lmdb' | 'heap' | 'store';

export type EntryTuple = [state: string, keyGroup: number, key: StoredKey, namespace: string, value: unknown];
/** A key a delta deletes. */
export type DeletedKey = [state: string, keyGroup: number, key: StoredKey, namespace: string];

export interface SnapshotResult extends WrittenFile {
  path: string;
  entries: number;
  /** Entries per state id. */
  states: Record<string, number>;
}

/**
 * Snapshots an LmdbStore to `file` (which must not exist). The snapshot is the state at the call:
 * the flush and the read transaction happen before this returns its promise.
 */
export function snapshotLmdbStore(store: LmdbStore, file: string): Promise<SnapshotResult> {
  store.flush();
  return snapshotLmdbEnvironment(store.path, file);
}

/**
 * Snapshots the LMDB environment at `path` (an LmdbStore's directory, open or not) to `file`, as
 * of the call. Changes still in an open store's write-back cache are not in LMDB: use
 * snapshotLmdbStore for a live store.
 */
export function snapshotLmdbEnvironment(path: string, file: string): Promise<SnapshotResult> {
  // Pinning runs now, synchronously: the read transaction fixes the view before anything else can write.
  let view: PinnedLmdbView;
  try {
    view = pinLmdbView(path);
  } catch (err) {
    return Promise.reject(err);
  }
  return writePinnedView(view, file, { yieldBetweenChunks: true });
}

/** A read transaction on an LMDB environment: the state as of the moment it was opened. */
export interface PinnedLmdbView {
  path: string;
  db: RootDatabase<unknown, Key>;
  txn: ReturnType<RootDatabase['useReadTransaction']>;
}

/** Opens a read transaction on the environment at `path` (synchronously). */
export function pinLmdbView(path: string): PinnedLmdbView {
  // Opening a path without an environment would create an empty one and snapshot nothing.
  if (!existsSync(join(path, 'data.mdb'))) throw new WeirError('WEIR_STATE', `no state store (LMDB environment) at ${path} to snapshot`);
  let db: RootDatabase<unknown, Key> | undefined;
  try {
    // lmdb-js shares one environment per path within the process: this opens a second handle on
    // the store's environment (its values decode as the store's do: default msgpack, no compression).
    db = open<unknown, Key>({ path, compression: false });
    db.resetReadTxn();
    return { path, db, txn: db.useReadTransaction() };
  } catch (cause) {
    void db?.close();
    throw new WeirError('WEIR_STATE', `cannot open the state store at ${path} to snapshot it: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Copies a pinned view into `file`, a chunk at a time, then releases the view. On the worker's own
 * thread it yields between chunks so the worker keeps processing (LMDB readers never block
 * writers, and none of the later writes enter the view); on a thread of its own it need not.
 */
export async function writePinnedView(view: PinnedLmdbView, file: string, opts: { yieldBetweenChunks: boolean }): Promise<SnapshotResult> {
  const { path, db: env, txn } = view;
  const createdAtMs = Date.now();
  let writer: SnapshotFileWriter | undefined;
  try {
    writer = await SnapshotFileWriter.create(file);
    await writer.writeFrame({ t: 'header', format, backend: 'lmdb', createdAtMs });
    const states: Record<string, number> = {};
    let count = 0;
    let start: Key | undefined;
    for (;;) {
      const chunk = Array.from(env.getRange({ transaction: txn, start, exclusiveStart: start !== undefined, limit: entriesPerFrame }));
      if (chunk.length === 0) break;
      const tuples = chunk.map(({ key, value }) => entryFromLmdb(path, key, value));
      for (const [state] of tuples) states[state] = (states[state] ?? 0) + 1;
      count += tuples.length;
      await writer.writeFrame({ t: 'entries', entries: tuples });
      if (chunk.length < entriesPerFrame) break;
      start = chunk[chunk.length - 1].key;
      if (opts.yieldBetweenChunks) await nextTurn();
    }
    await writer.writeFrame({ t: 'end', entries: count, states });
    const written = await writer.finish();
    writer = undefined;
    return { path: file, entries: count, states, ...written };
  } catch (err) {
    await abandonFile(writer, file);
    throw err instanceof WeirError ? err : new WeirError('WEIR_STATE', `cannot snapshot the state store at ${path}: ${(err as Error).message}`, { cause: err });
  } finally {
    txn.done();
    await env.close();
  }
}

/** A delta's contents: the changed keys' values as of a pinned view, and the keys it no longer has. */
export interface DeltaContents {
  entries: EntryTuple[];
  deletes: DeletedKey[];
  states: Record<string, number>;
}

/**
 * Reads each of `keys` from a pinned view — an entry, or a delete when the key is gone — and
 * releases the view before anything is written. Reads are point lookups, so the cost follows the
 * keys changed, not the size of the state. Released early because while a read transaction is
 * open LMDB cannot reuse the pages the worker's writes free, so every page it rewrites meanwhile
 * grows the file; holding the view through the file's writing and fsync (~300 ms of every second
 * at 50 K keys/s over 1 M keys) only prolonged that. The contents are at most half the state's
 * entries (snapshot-thread.ts takes a full snapshot beyond that).
 */
export async function readPinnedDelta(view: PinnedLmdbView, keys: ChangedKey[]): Promise<DeltaContents> {
  const { path, db: env, txn } = view;
  try {
    const contents: DeltaContents = { entries: [], deletes: [], states: {} };
    for (const key of keys) {
      const value = env.get(key, { transaction: txn });
      if (value === undefined) {
        contents.deletes.push(key);
        continue;
      }
      contents.entries.push([key[0], key[1], key[2], key[3], value]);
      contents.states[key[0]] = (contents.states[key[0]] ?? 0) + 1;
    }
    return contents;
  } catch (err) {
    throw new WeirError('WEIR_STATE', `cannot read a delta of the state store at ${path}: ${(err as Error).message}`, { cause: err });
  } finally {
    txn.done();
    await env.close();
  }
}

/** Writes a delta's contents into `file` (which must not exist). */
export async function writeDeltaFile(contents: DeltaContents, file: string): Promise<SnapshotResult & { deletes: number }> {
  const { entries, deletes, states } = contents;
  let writer: SnapshotFileWriter | undefined;
  try {
    writer = await SnapshotFileWriter.create(file);
    await writer.writeFrame({ t: 'header', format, backend: 'lmdb', createdAtMs: Date.now(), delta: true });
    for (let at = 0; at < entries.length; at += entriesPerFrame) await writer.writeFrame({ t: 'entries', entries: entries.slice(at, at + entriesPerFrame) });
    for (let at = 0; at < deletes.length; at += entriesPerFrame) await writer.writeFrame({ t: 'deletes', keys: deletes.slice(at, at + entriesPerFrame) });
    await writer.writeFrame({ t: 'end', entries: entries.length, deletes: deletes.length, states });
    const written = await writer.finish();
    writer = undefined;
    return { path: file, entries: entries.length, deletes: deletes.length, states, ...written };
  } catch (err) {
    await abandonFile(writer, file);
    throw err instanceof WeirError ? err : new WeirError('WEIR_STATE', `cannot write the delta snapshot ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Snapshots the named states of any StateStore (the heap backend's way: it cannot list its state
 * ids) to `file`. A state id left out is not in the snapshot: pass every declared state and the
 * timer states (`${operatorUid}/__timers/event-time`, `…/processing-time`). The store is flushed
 * and every entry encoded during the call; only the file writing happens afterwards.
 */
export function snapshotStoreStates(store: StateStore, stateIds: Iterable<string>, file: string, backend: SnapshotBackend = store instanceof HeapStore ? 'heap' : 'store'): Promise<SnapshotResult> {
  const packr = new Packr();
  const frames: Buffer[] = [];
  const states: Record<string, number> = {};
  let count = 0;
  const createdAtMs = Date.now();
  try {
    store.flush();
    frames.push(encodeFrame(packr, { t: 'header', format, backend, createdAtMs }));
    let batch: EntryTuple[] = [];
    for (const state of new Set(stateIds)) {
      states[state] = 0;
      for (const e of store.entries(state)) {
        batch.push([state, e.keyGroup, e.key, e.namespace, e.value]);
        states[state]++;
        count++;
        if (batch.length === entriesPerFrame) {
          frames.push(encodeFrame(packr, { t: 'entries', entries: batch }));
          batch = [];
        }
      }
    }
    if (batch.length > 0) frames.push(encodeFrame(packr, { t: 'entries', entries: batch }));
    frames.push(encodeFrame(packr, { t: 'end', entries: count, states }));
  } catch (cause) {
    return Promise.reject(cause instanceof WeirError ? cause : new WeirError('WEIR_STATE', `cannot snapshot the state: ${(cause as Error).message}`, { cause }));
  }
  return (async () => {
    let writer: SnapshotFileWriter | undefined;
    try {
      writer = await SnapshotFileWriter.create(file);
      for (const frame of frames) await writer.writeEncodedFrame(frame);
      const written = await writer.finish();
      writer = undefined;
      return { path: file, entries: count, states, ...written };
    } catch (err) {
      await abandonFile(writer, file);
      throw err;
    }
  })();
}

function entryFromLmdb(path: string, key: Key, value: unknown): EntryTuple {
  const k = key as unknown[];
  if (!Array.isArray(k) || k.length !== 4 || typeof k[0] !== 'string' || !Number.isInteger(k[1]) || (typeof k[2] !== 'string' && typeof k[2] !== 'number') || typeof k[3] !== 'string') {
    throw new WeirError('WEIR_STATE', `the state store at ${path} holds a key that is not [state, keyGroup, key, namespace]: ${JSON.stringify(key)}`);
  }
  return [k[0], k[1] as number, k[2], k[3], value];
}

/** Closes and removes a snapshot file whose writing failed (nothing when it was never created). */
export async function abandonFile(writer: SnapshotFileWriter | undefined, file: string): Promise<void> {
  if (!writer) return;
  await writer.abandon();
  await rm(file, { force: true });
}

/** Snapshots a worker's live store, whichever the backend: the state at the call (see above). */
export function snapshotWorkerStore(store: StateStore, file: string): Promise<SnapshotResult> {
  if (store instanceof LmdbStore) return snapshotLmdbStore(store, file);
  if (store instanceof HeapStore) return snapshotStoreStates(store, store.stateIds(), file, 'heap');
  return Promise.reject(new WeirError('WEIR_STATE', `cannot snapshot a ${store.constructor.name}: only the LMDB and heap stores are supported`));
}
