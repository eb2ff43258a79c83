/**
 * Snapshots of a worker's keyed state, as a file of frames (snapshot-file.ts; state-restore.ts
 * reads them). An LMDB snapshot:
 *
 *   { t: 'header', format: 'weir-state-snapshot', backend: 'lmdb', createdAtMs, delta? }
 *   { t: 'pairs', count, bytes }     entries as LMDB holds them (pair-block.ts), up to 8192 a frame
 *   { t: 'deleted', count, bytes }   keys a delta deletes, as LMDB's key bytes (deltas only)
 *   { t: 'end', entries: <count>, deletes?: <count>, states: { [state]: <count> } }
 *
 * A heap snapshot (and an LMDB one written before LMDB snapshots held pairs) holds tuples instead:
 *
 *   { t: 'entries', entries: [[state, keyGroup, key, namespace, value], …] }
 *   { t: 'deletes', keys: [[state, keyGroup, key, namespace], …] }
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
 * the state at the call. The entries are then copied out a chunk at a time, as bytes, giving the
 * event loop a turn between chunks: the worker keeps writing (LMDB readers never block writers) and
 * none of its later writes enter the snapshot. lmdb-js's `backup()` (mdb_env_copy2) is not used: it
 * opens its read transaction later, on a libuv thread, so write-backs the worker commits in between
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
import type { RootDatabase } from 'lmdb';
import { lmdb, msgpackr } from '../state/lmdb-module.ts';
import { WeirError } from '../errors.ts';
import { betweenLmdbCalls, insideLmdb } from './exit-parking.ts';
import { HeapStore } from '../state/heap-store.ts';
import { LmdbStore } from '../state/lmdb-store.ts';
import type { StateStore, StoredKey } from '../state/store.ts';
import type { LatestChanges } from '../state/change-log.ts';
import { PairBlockBuilder, StateCounts, type PairBlock } from './pair-block.ts';
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
  /** Keys and values as bytes: a snapshot copies them without decoding them. */
  db: RootDatabase<Buffer, Buffer>;
  txn: ReturnType<RootDatabase['useReadTransaction']>;
}

/** Opens a read transaction on the environment at `path` (synchronously). */
export function pinLmdbView(path: string): PinnedLmdbView {
  // Opening a path without an environment would create an empty one and snapshot nothing.
  if (!existsSync(join(path, 'data.mdb'))) throw new WeirError('WEIR_STATE', `no state store (LMDB environment) at ${path} to snapshot`);
  let db: RootDatabase<Buffer, Buffer> | undefined;
  try {
    return insideLmdb(() => {
      // lmdb-js shares one environment per path within the process: this opens a second handle on
      // the store's environment, one that hands keys and values over as the bytes LMDB holds.
      db = lmdb().open<Buffer, Buffer>({ path, compression: false, keyEncoding: 'binary', encoding: 'binary' });
      db.resetReadTxn();
      return { path, db, txn: db.useReadTransaction() };
    });
  } catch (cause) {
    void insideLmdb(() => db?.close());
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
    const states = new StateCounts();
    const pairs = new PairBlockBuilder();
    let count = 0;
    let start: Buffer | undefined;
    for (;;) {
      insideLmdb(() => {
        for (const { key, value } of env.getRange({ transaction: txn, start, exclusiveStart: start !== undefined, limit: entriesPerFrame })) {
          states.add(key, 0, key.length);
          pairs.addPair(key, 0, key.length, value, 0, value.length);
          // The range may hand out its key in a buffer it reuses.
          if (pairs.count === entriesPerFrame) start = Buffer.from(key);
          betweenLmdbCalls();
        }
      });
      const chunk = pairs.take();
      count += chunk.count;
      if (chunk.count > 0) await writer.writeFrame({ t: 'pairs', count: chunk.count, bytes: chunk.bytes });
      if (chunk.count < entriesPerFrame) break;
      if (opts.yieldBetweenChunks) await nextTurn();
    }
    await writer.writeFrame({ t: 'end', entries: count, states: states.counts });
    const written = await writer.finish();
    writer = undefined;
    return { path: file, entries: count, states: states.counts, ...written };
  } catch (err) {
    await abandonFile(writer, file);
    throw err instanceof WeirError ? err : new WeirError('WEIR_STATE', `cannot snapshot the state store at ${path}: ${(err as Error).message}`, { cause: err });
  } finally {
    await insideLmdb(() => {
      txn.done();
      return env.close();
    });
  }
}

/** A delta's contents: the changed keys' pairs at the cut, and the keys deleted. */
export interface DeltaContents {
  pairs: PairBlock[];
  deleted: PairBlock[];
  entries: number;
  deletes: number;
  states: Record<string, number>;
}

/**
 * A delta of the keys a store changed since its previous snapshot, from its change log alone: each
 * key's last logged value (the bytes LMDB was given) or a delete. No LMDB read: the log holds
 * what LMDB holds (state/change-log.ts). The contents are at most half the state's entries
 * (snapshot-thread.ts takes a full snapshot beyond that).
 */
export function deltaContents(latest: LatestChanges): DeltaContents {
  const { bytes, keys, valueStart, valueEnd } = latest;
  const contents: DeltaContents = { pairs: [], deleted: [], entries: 0, deletes: 0, states: {} };
  const states = new StateCounts();
  const pairs = new PairBlockBuilder();
  const deleted = new PairBlockBuilder();
  for (let id = 0; id < keys.size; id++) {
    const key = keys.key(id);
    if (valueStart[id] < 0) {
      deleted.addKey(key);
      if (deleted.count === entriesPerFrame) contents.deleted.push(deleted.take());
      continue;
    }
    states.add(key, 0, key.length);
    pairs.addPair(key, 0, key.length, bytes, valueStart[id], valueEnd[id]);
    if (pairs.count === entriesPerFrame) contents.pairs.push(pairs.take());
  }
  if (pairs.count > 0) contents.pairs.push(pairs.take());
  if (deleted.count > 0) contents.deleted.push(deleted.take());
  for (const block of contents.pairs) contents.entries += block.count;
  for (const block of contents.deleted) contents.deletes += block.count;
  contents.states = states.counts;
  return contents;
}

/** Writes a delta's contents into `file` (which must not exist). */
export async function writeDeltaFile(contents: DeltaContents, file: string): Promise<SnapshotResult & { deletes: number }> {
  const { entries, deletes, states } = contents;
  let writer: SnapshotFileWriter | undefined;
  try {
    writer = await SnapshotFileWriter.create(file);
    await writer.writeFrame({ t: 'header', format, backend: 'lmdb', createdAtMs: Date.now(), delta: true });
    for (const { count, bytes } of contents.pairs) await writer.writeFrame({ t: 'pairs', count, bytes });
    for (const { count, bytes } of contents.deleted) await writer.writeFrame({ t: 'deleted', count, bytes });
    await writer.writeFrame({ t: 'end', entries, deletes, states });
    const written = await writer.finish();
    writer = undefined;
    return { path: file, entries, deletes, states, ...written };
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
  const packr = new (msgpackr().Packr)();
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

/** Closes and removes a snapshot file whose writing failed (nothing when it was never created). */
export async function abandonFile(writer: SnapshotFileWriter | undefined, file: string): Promise<void> {
  if (!writer) return;
  await writer.abandon();
  await rm(file, { force: true });
}

