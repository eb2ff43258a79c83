/**
 * Keyed state in LMDB (lmdb-js): one environment per worker, with a write-back cache in front.
 *
 * Keys are ordered-binary arrays [state, keyGroup, key, namespace], so a state's entries, and a
 * state + key group's entries, are contiguous ranges: a key group can be scanned, moved or
 * restored whole. Values use lmdb's default msgpack encoding.
 *
 * Durability (measured on this machine): a transaction committed with an fsync costs ~250–400 µs,
 * one committed without ~12 µs, a put inside a large transaction ~1.3 µs, a get ~1 µs. So
 *  - the environment is opened with overlappingSync off: with it on, lmdb-js syncs on the
 *    committing thread after every transaction, even one asked not to flush (~300 µs each);
 *  - write-backs caused by eviction commit with MDB_NOSYNC (TransactionFlags.NO_SYNC_FLUSH): the
 *    data is visible at once to every reader, and survives a crash of the process, but not
 *    necessarily one of the machine;
 *  - flush() (epoch end, checkpoint barrier) commits the remaining dirty entries the same way:
 *    readers (a checkpoint's snapshot) see them at once; recovery never reads these files, it
 *    restores a checkpoint's snapshot, so an fsync here would buy nothing;
 *  - close() flushes and syncs the environment, so a store reopened later finds its data.
 *
 * lmdb-js grows its map on demand and never reports MDB_MAP_FULL, so the map size is enforced
 * here: every write transaction compares the pages the data occupies (LMDB's own page counts,
 * read inside the transaction) with `mapSizeBytes` and is rolled back when they exceed it.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Key, RootDatabase } from 'lmdb';
import { lmdb } from './lmdb-module.ts';
import { WeirError } from '../errors.ts';
import { assert, limits } from '../limits.ts';
import { checkStorable, describeKey, stateLabel } from './storable.ts';
import type { StateEntry, StateStore, StoredKey } from './store.ts';
import { ChangeLog, type TakenChanges } from './change-log.ts';
import { DiskSpaceGuard } from './disk-space.ts';
import { WriteBackCache, type CachedEntry } from './write-back-cache.ts';
import { WrittenKeys } from './written-keys.ts';

export interface LmdbStoreOptions {
  /** The environment's directory (created when missing), e.g. `<workDir>/state/worker-0`. */
  path: string;
  /** Most bytes the state may occupy (default limits.lmdbMapSizeBytesDefault). */
  mapSizeBytes?: number;
  /** Entries the write-back cache holds before it evicts (default limits.stateCacheEntriesMax); 0 writes straight through. */
  cacheEntriesMax?: number;
  /** Names the operator a state id belongs to, for error messages. */
  operatorNameOf?: (state: string) => string;
  /** Free bytes kept on the store's filesystem (default limits.stateFreeBytesMin; see disk-space.ts). */
  freeBytesMin?: number;
}

/** The share of the cache written back and evicted at once when it is over capacity. */
const evictionFraction = 0.1;
/** Entries read from LMDB at a time by entries(): the caller may write between chunks. */
const scanChunkEntries = 256;
/** LMDB's two meta pages, always there. */
const metaPages = 2;

interface PageStats {
  pageSize: number;
  treeBranchPageCount: number;
  treeLeafPageCount: number;
  overflowPages: number;
  free: { treeBranchPageCount: number; treeLeafPageCount: number; overflowPages: number };
}

/** lmdb-js internals used here: a synchronous, forced environment sync (mdb_env_sync(env, 1)). */
interface LmdbEnv {
  sync(): void;
}

export function openLmdbStore(opts: LmdbStoreOptions): LmdbStore {
  return new LmdbStore(opts);
}

export class LmdbStore implements StateStore {
  readonly path: string;
  private readonly db: RootDatabase<unknown, Key>;
  private readonly cache: WriteBackCache | undefined;
  private readonly mapSizeBytes: number;
  private readonly operatorNameOf?: (state: string) => string;
  /** Transactions committed without an fsync since the last durable point. */
  private unsynced = false;
  /** Bumped by every put/delete: entries() re-reads an entry when the caller wrote since its chunk was read. */
  private writeSeq = 0;
  /** Bumped by every transaction that changes LMDB. */
  private writeBackSeq = 0;
  private closed = false;
  /** Changes written to LMDB, keys and values, since the last take: what an incremental snapshot is made of. */
  private readonly changes = new ChangeLog();
  private readonly flushListeners: Array<() => void> = [];
  /** lmdb-js' value encoder of this database (msgpack, with the options below). */
  private readonly encoder: { encode(value: unknown): Uint8Array };
  private readonly space: DiskSpaceGuard;
  /** The lmdb module (lmdb-module.ts: loaded on first use). */
  private readonly lmdbModule = lmdb();
  /** Commits of eviction write-backs: abortable, without waiting for the disk (see the file comment). */
  private readonly unsyncedCommit: number;
  /** The keys written to LMDB, when the store opened empty (written-keys.ts): a key not in it is not in LMDB. */
  private readonly written: WrittenKeys | undefined;

  constructor(opts: LmdbStoreOptions) {
    const { TransactionFlags } = this.lmdbModule;
    this.unsyncedCommit = TransactionFlags.ABORTABLE | TransactionFlags.SYNCHRONOUS_COMMIT | TransactionFlags.NO_SYNC_FLUSH;
    this.path = opts.path;
    this.mapSizeBytes = opts.mapSizeBytes ?? limits.lmdbMapSizeBytesDefault;
    this.operatorNameOf = opts.operatorNameOf;
    const cacheEntriesMax = opts.cacheEntriesMax ?? limits.stateCacheEntriesMax;
    if (!(this.mapSizeBytes > 0) || !Number.isInteger(cacheEntriesMax) || cacheEntriesMax < 0) {
      throw new WeirError('WEIR_CONFIG', `state store at ${opts.path}: mapSizeBytes must be > 0 and cacheEntriesMax an integer ≥ 0`);
    }
    this.cache = cacheEntriesMax > 0 ? new WriteBackCache(cacheEntriesMax) : undefined;
    // Before LMDB maps a file on a full disk (a SIGBUS, not an error).
    this.space = new DiskSpaceGuard(opts.path, opts.freeBytesMin ?? limits.stateFreeBytesMin);
    try {
      this.db = this.lmdbModule.open<unknown, Key>({
        path: opts.path,
        noSubdir: false,
        mapSize: this.mapSizeBytes,
        overlappingSync: false,
        compression: false,
        // msgpack would encode a function as undefined, losing it silently.
        encoder: {
          writeFunction: () => {
            throw new TypeError('a function cannot be stored');
          },
        },
      });
    } catch (cause) {
      throw new WeirError('WEIR_STATE', `cannot open the state store at ${opts.path}: ${(cause as Error).message}`, { cause });
    }
    this.encoder = (this.db as unknown as { encoder: LmdbStore['encoder'] }).encoder;
    // Opened on data written before (a reopened store), it cannot know which keys LMDB holds.
    this.written = this.isEmpty() ? new WrittenKeys(limits.stateWrittenKeysBits) : undefined;
  }

  private isEmpty(): boolean {
    try {
      for (const _ of this.db.getKeys({ limit: 1 })) return false;
      return true;
    } catch (cause) {
      throw this.error(`cannot read the state store at ${this.path}`, cause);
    }
  }

  get(state: string, keyGroup: number, key: StoredKey, namespace: string): unknown {
    this.checkOpen();
    const cached = this.cache?.lookup(state, keyGroup, key, namespace);
    if (cached) return cached.value;
    if (this.written?.mayContain(state, keyGroup, key, namespace) === false) return undefined;
    let value: unknown;
    try {
      value = this.db.get([state, keyGroup, key, namespace]);
    } catch (cause) {
      throw this.error(`cannot read ${stateLabel(state, this.operatorNameOf)} key ${describeKey(key)}`, cause, state);
    }
    if (value !== undefined && this.cache) {
      this.cache.set(state, keyGroup, key, namespace, value, false);
      this.evictIfOverCapacity();
    }
    return value;
  }

  put(state: string, keyGroup: number, key: StoredKey, namespace: string, value: unknown, checked = false): void {
    this.checkOpen();
    if (!checked) checkStorable(state, key, value, this.operatorNameOf);
    this.writeSeq++;
    if (this.cache) {
      this.cache.set(state, keyGroup, key, namespace, value, true);
      this.evictIfOverCapacity();
    } else {
      this.writeThrough({ state, keyGroup, key, namespace, value });
    }
  }

  delete(state: string, keyGroup: number, key: StoredKey, namespace: string): void {
    this.checkOpen();
    this.writeSeq++;
    if (this.cache) {
      this.cache.set(state, keyGroup, key, namespace, undefined, true);
      this.evictIfOverCapacity();
    } else {
      this.writeThrough({ state, keyGroup, key, namespace, value: undefined });
    }
  }

  /**
   * In key order. The state's dirty cache entries are written back first (one unsynced
   * transaction), so LMDB's range is complete; then the range is read a chunk at a time, each
   * entry's value checked against the store again when the caller has written since the chunk
   * was read (so an entry deleted or changed ahead of the scan is seen as it is now). Entries the
   * caller creates while iterating may or may not be reached.
   */
  *entries(state: string, after?: { keyGroup: number; key: StoredKey; namespace: string }): Iterable<StateEntry> {
    this.checkOpen();
    if (this.cache) this.writeBack(this.cache.dirtyEntries(state), this.unsyncedCommit);
    let start: Key = after ? [state, after.keyGroup, after.key, after.namespace] : [state];
    let exclusiveStart = after !== undefined;
    // Key groups are finite numbers, so [state, Infinity] is above every entry of the state.
    const end: Key = [state, Infinity];
    for (;;) {
      let chunk: Array<{ key: Key; value: unknown }>;
      try {
        chunk = Array.from(this.db.getRange({ start, end, exclusiveStart, limit: scanChunkEntries }));
      } catch (cause) {
        throw this.error(`cannot scan ${stateLabel(state, this.operatorNameOf)}`, cause, state);
      }
      const writeSeqAtRead = this.writeSeq;
      const writeBackSeqAtRead = this.writeBackSeq;
      for (const entry of chunk) {
        const [, keyGroup, key, namespace] = entry.key as [string, number, StoredKey, string];
        let value = entry.value;
        if (this.writeSeq !== writeSeqAtRead) value = this.currentValue(state, keyGroup, key, namespace, value, writeBackSeqAtRead);
        if (value !== undefined) yield { state, keyGroup, key, namespace, value };
      }
      if (chunk.length < scanChunkEntries) return;
      start = chunk[chunk.length - 1].key;
      exclusiveStart = true;
    }
  }

  /**
   * The value of an entry read in a chunk, now that the caller has written: a change is in the
   * cache, or — when a write-back happened since the chunk was read — possibly only in LMDB.
   * Looking in the cache first keeps a scan that deletes as it goes (TTL cleanup) from reading
   * every entry twice.
   */
  private currentValue(state: string, keyGroup: number, key: StoredKey, namespace: string, read: unknown, writeBackSeqAtRead: number): unknown {
    const cached = this.cache?.peek(state, keyGroup, key, namespace);
    if (cached) return cached.value;
    if (this.cache && this.writeBackSeq === writeBackSeqAtRead) return read;
    try {
      return this.db.get([state, keyGroup, key, namespace]);
    } catch (cause) {
      throw this.error(`cannot read ${stateLabel(state, this.operatorNameOf)} key ${describeKey(key)}`, cause, state);
    }
  }

  flush(): void {
    this.checkOpen();
    for (const beforeFlush of this.flushListeners) beforeFlush();
    // Without an fsync: the live store is working memory — a run starts from a checkpoint's
    // snapshot (fsynced by the checkpoint store), never from these files — and an fsync here,
    // covering every page written since the last one, stalled a checkpoint barrier for 30–80 ms.
    this.writeBack(this.cache?.dirtyEntries() ?? [], this.unsyncedCommit);
  }

  /**
   * For an incremental snapshot at this moment, without a write to LMDB: the change log — what
   * reached LMDB since the last take — with every dirty cached entry that changed since then
   * appended as it is now. With the previous snapshot that is the state now. The entries stay
   * dirty, to be written back later (and logged again then). A checkpoint barrier used to flush
   * them into LMDB instead: at LMDB's 6–7 µs a random key, a worker that had fallen behind (no idle
   * rounds to write back in) met 20–45 K of them at a barrier and stalled 200–360 ms, which put it
   * further behind; encoding them costs a fraction of that. A full snapshot needs every dirty
   * entry, logged before or not: it flush()es first (lmdb-snapshotter.ts). Undefined when the log
   * overflowed: the snapshot is then a full one.
   */
  takeSnapshotChanges(): TakenChanges | undefined {
    this.checkOpen();
    for (const beforeFlush of this.flushListeners) beforeFlush();
    for (const e of this.cache?.dirtyEntries() ?? []) {
      if (e.logged) continue;
      this.changes.append(e.state, e.keyGroup, e.key, e.namespace, e.value === undefined ? undefined : this.encoder.encode(e.value));
      e.logged = true;
    }
    return this.changes.take();
  }

  /** Makes everything written durable on disk (close: a store reopened later finds it). */
  private sync(): void {
    if (!this.unsynced) return;
    try {
      (this.db as unknown as { env: LmdbEnv }).env.sync();
    } catch (cause) {
      throw this.error(`cannot sync the state store at ${this.path}`, cause);
    }
    this.unsynced = false;
  }

  onFlush(beforeFlush: () => void): void {
    this.flushListeners.push(beforeFlush);
  }

  close(): void {
    if (this.closed) return;
    try {
      this.flush();
      this.sync();
    } finally {
      this.closed = true;
      // Nothing is written asynchronously, so lmdb-js closes the environment before returning.
      void this.db.close();
    }
  }

  discard(): void {
    if (this.closed) return;
    this.closed = true;
    void this.db.close();
  }

  stats(): { cachedEntries: number; diskBytes: number } {
    let diskBytes = 0;
    try {
      diskBytes = statSync(join(this.path, 'data.mdb')).size;
    } catch {
      // not created yet
    }
    return { cachedEntries: this.cache?.size ?? 0, diskBytes };
  }

  /**
   * Writes back up to `maxEntries` dirty entries (without an fsync), keeping them cached, clean.
   * The worker calls it when it is idle: the writes eviction and the next flush would otherwise
   * do at once — a flush at a checkpoint barrier with 100 K dirty entries stalls the worker
   * ~150 ms — are spread over time the worker has to spare. Fewer than `minEntries` dirty
   * entries are left for the flush: a transaction's fixed cost is then shared by at least that
   * many. Returns how many it wrote.
   */
  writeBackIdle(maxEntries: number, minEntries: number): number {
    assert(minEntries >= 1 && minEntries <= maxEntries, `writeBackIdle: 1 ≤ minEntries (${minEntries}) ≤ maxEntries (${maxEntries})`);
    if (!this.cache || this.closed || this.cache.dirtyCount < minEntries) return 0;
    const some = this.cache.someDirty(maxEntries);
    if (some.length === 0) return 0;
    this.writeBack(some, this.unsyncedCommit);
    this.unsynced = true;
    return some.length;
  }

  /**
   * The changes written to LMDB since the last take, keys and values (undefined when too many to
   * log: snapshot everything), without the cache's dirty entries: after a flush() they are all in
   * it. A restore takes it to start the next delta afresh; a checkpoint takes takeSnapshotChanges().
   */
  takeChanges(): TakenChanges | undefined {
    return this.changes.take();
  }

  /** Dirty entries held by the write-back cache (not yet in LMDB). */
  dirtyEntries(): number {
    return this.cache?.dirtyCount ?? 0;
  }

  /**
   * Over capacity: write back the coldest entries' dirty ones in one transaction and evict them.
   * A tenth of the cache at a time, so the transaction's fixed cost is shared by many entries and
   * the next evictions are far apart. When the write-back fails nothing is evicted.
   *
   * Evicting one clean entry at a time instead (and a batch only when the coldest is dirty) was
   * tried: at 50 K new keys/s over 1 M keys, it left the writing to the idle write-backs, whose
   * 500-entry transactions cost 5–28 ms each in LMDB (a random write copies a page); they fell
   * behind, 15–30 K entries stayed dirty, and each checkpoint's flush stalled the worker 100–400 ms.
   */
  private evictIfOverCapacity(): void {
    const cache = this.cache!;
    if (!cache.isOverCapacity()) return;
    const victims = cache.coldest(Math.max(1, Math.ceil(cache.capacity * evictionFraction)));
    this.writeBack(
      victims.filter((e) => e.dirty),
      this.unsyncedCommit,
    );
    // Nothing is dropped unwritten: writeBack marked every dirty victim clean, or threw.
    assert(
      victims.every((v) => !v.dirty),
      'an entry evicted from the write-back cache was written back first',
    );
    for (const victim of victims) cache.remove(victim);
  }

  private writeThrough(entry: Omit<CachedEntry, 'dirty' | 'logged' | 'referenced' | 'slot'>): void {
    this.writeInTransaction([entry], this.unsyncedCommit);
    this.unsynced = true;
  }

  /** Writes cache entries to LMDB in one transaction; on success they are clean. */
  private writeBack(entries: CachedEntry[], flags: number): void {
    if (entries.length === 0) return;
    try {
      this.writeInTransaction(entries, flags);
    } catch (err) {
      // An entry that can never be written (its value cannot be encoded) would make every later
      // write-back fail: it is dropped, and the error names it.
      const bad = (err as { entry?: CachedEntry }).entry;
      if (bad && (err as { permanent?: boolean }).permanent && 'dirty' in bad) this.cache?.remove(bad);
      throw err;
    }
    this.cache?.markWritten(entries);
    this.unsynced = true;
  }

  private writeInTransaction(entries: Array<Omit<CachedEntry, 'dirty' | 'logged' | 'referenced' | 'slot'>>, flags: number): void {
    this.writeBackSeq++;
    // What this transaction logs is taken back if it does not commit.
    const logged = this.changes.mark();
    let current: (typeof entries)[number] | undefined;
    let usedBytes = 0;
    let result: unknown;
    try {
      result = this.db.transactionSync(() => {
        for (current of entries) {
          const { state, keyGroup, key, namespace, value } = current;
          const dbKey = [state, keyGroup, key, namespace];
          if (value === undefined) {
            this.db.remove(dbKey);
            this.changes.append(state, keyGroup, key, namespace, undefined);
          } else {
            // Encoded here rather than by put(), so the change log gets the very bytes LMDB does.
            const bytes = this.encoder.encode(value);
            // Twice the value, for its key and page overhead: LMDB must never meet a full disk.
            this.space.beforeWrite(2 * bytes.length + 64);
            this.db.put(dbKey, this.lmdbModule.asBinary(bytes));
            // Before the commit: a key in LMDB is always in the filter (one whose commit fails only costs a read).
            this.written?.add(state, keyGroup, key, namespace);
            this.changes.append(state, keyGroup, key, namespace, bytes);
          }
        }
        current = undefined;
        usedBytes = this.usedBytes();
        // Returning anything else (a put's promise) would make transactionSync wait for it.
        return usedBytes > this.mapSizeBytes ? this.lmdbModule.ABORT : undefined;
      }, flags);
    } catch (cause) {
      this.changes.rollBack(logged);
      // Not written for want of disk space (disk-space.ts): nothing was lost, the entries stay pending.
      if (cause instanceof WeirError) throw Object.assign(cause, { operator: this.operatorNameOf?.((current ?? entries[0]).state) });
      const failed = current ?? entries[0];
      const permanent = current !== undefined && !isSpaceError(cause);
      const what = current ? `cannot write ${stateLabel(failed.state, this.operatorNameOf)} key ${describeKey(failed.key)}` : this.batchLabel(entries);
      const err = this.error(permanent && entries.length > 1 ? `${what} (the update is discarded; the other ${entries.length - 1} are kept)` : what, cause, failed.state);
      throw Object.assign(err, { entry: failed, permanent });
    }
    if (result === this.lmdbModule.ABORT) {
      this.changes.rollBack(logged);
      const first = entries[0];
      throw new WeirError(
        'WEIR_STATE',
        `${this.batchLabel(entries)}: LMDB map full: the state would take ${usedBytes} bytes, more than mapSizeBytes ${this.mapSizeBytes}; ${this.cache ? 'the writes stay pending in the cache' : 'the write was not applied'} (raise the map size or reduce the state)`,
        { operator: this.operatorNameOf?.(first.state) },
      );
    }
  }

  private batchLabel(entries: Array<{ state: string; key: StoredKey }>): string {
    const first = entries[0];
    const where = `${stateLabel(first.state, this.operatorNameOf)} key ${describeKey(first.key)}`;
    return entries.length === 1 ? `cannot write ${where}` : `cannot write back ${entries.length} entries, the first ${where}`;
  }

  /** Bytes of pages the data occupies, as seen by the current write transaction. */
  private usedBytes(): number {
    const s = this.db.getStats() as PageStats;
    const pages =
      s.treeBranchPageCount + s.treeLeafPageCount + s.overflowPages + s.free.treeBranchPageCount + s.free.treeLeafPageCount + s.free.overflowPages + metaPages;
    return pages * s.pageSize;
  }

  private error(message: string, cause: unknown, state?: string): WeirError {
    const reason = isSpaceError(cause) ? `${describeLmdbError(cause)} in the state store at ${this.path}` : describeLmdbError(cause);
    return new WeirError('WEIR_STATE', `${message}: ${reason}`, { operator: state === undefined ? undefined : this.operatorNameOf?.(state), cause });
  }

  private checkOpen(): void {
    if (this.closed) throw new WeirError('WEIR_STATE', `the state store at ${this.path} is closed`);
  }
}

/** MDB_MAP_FULL and ENOSPC/EDQUOT as LMDB reports them (a numeric or string `code`, or the message). */
export function describeLmdbError(cause: unknown): string {
  const e = cause as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(cause);
  if (e?.code === -30792 || /MDB_MAP_FULL/.test(message)) return `LMDB map full (${message})`;
  if (isSpaceError(cause)) return `disk full (${message})`;
  return message;
}

function isSpaceError(cause: unknown): boolean {
  const e = cause as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : '';
  return e?.code === 28 || e?.code === 122 || e?.code === 'ENOSPC' || e?.code === 'EDQUOT' || e?.code === -30792 || /No space left|quota exceeded|MDB_MAP_FULL/i.test(message);
}
