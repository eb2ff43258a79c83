/**
 * The storage under keyed state: one StateStore per worker, shared by every keyed operator on that
 * worker. An entry is addressed by
 *
 *   state      `${operatorUid}/${stateName}` — the operator's stable id and the state's name
 *   keyGroup   the key's key group (0 … keyGroups−1): everything of a key group can be moved and
 *              restored whole
 *   key        the record key in its stored form (a string or a number; see storedKey)
 *   namespace  '' for plain keyed state; a window, a timer's timestamp, … for internal users
 *
 * and its value is any structured-clonable value (msgpack in LMDB). The keyed-state layer
 * (keyed-state.ts) builds value/list/map/reducing/aggregating state and TTL on top; timers
 * (timers.ts) persist in it too, so they are part of the same snapshot.
 */
export type StoredKey = string | number;

export interface StateEntry {
  state: string;
  keyGroup: number;
  key: StoredKey;
  namespace: string;
  value: unknown;
}

export interface StateStore {
  /** The value, or undefined when absent. */
  get(state: string, keyGroup: number, key: StoredKey, namespace: string): unknown;
  /**
   * `value` must not be undefined (use delete). The store may keep the object: change it only to
   * put it again before anything else runs (keyed-state.ts changes lists, maps and accumulators so). `checked`: the caller has already checked every part of `value` with the rules of
   * storable.ts (a list grown by one element it checked, the rest being what was stored), so the
   * store need not walk it all again.
   */
  put(state: string, keyGroup: number, key: StoredKey, namespace: string, value: unknown, checked?: boolean): void;
  delete(state: string, keyGroup: number, key: StoredKey, namespace: string): void;
  /**
   * Every live entry of `state` (cached writes included, deleted ones excluded), in key order for
   * durable stores, starting after `after` when given (to resume an incremental scan). The caller
   * may put/delete entries of the state while iterating.
   */
  entries(state: string, after?: { keyGroup: number; key: StoredKey; namespace: string }): Iterable<StateEntry>;
  /** Writes every change so far to the backend, where a snapshot sees it (epoch end, checkpoint barrier, close). Crash durability comes from checkpoints. */
  flush(): void;
  /**
   * Calls `beforeFlush` at the start of every flush() (close() flushes too), so a user that keeps
   * changes in memory between flushes (timers) can put them first and be part of the same snapshot.
   */
  onFlush(beforeFlush: () => void): void;
  /** Flushes, makes it durable, and closes: a store opened at the same place later finds the data. */
  close(): void;
  /**
   * Closes without writing back anything still in memory: for a store nobody will read again. A
   * worker's store is working memory; a later run starts from a checkpoint, never from its files
   * (runtime/state-store.ts removes them), and the last checkpoint was taken before this.
   */
  discard(): void;
  /** Optional: make up to maxEntries pending changes durable-ish ahead of the next flush, when the worker is idle and at least minEntries are pending. Returns how many. */
  writeBackIdle?(maxEntries: number, minEntries: number): number;
  /** Entries held in memory (a write-back cache or the heap backend) and on disk; for metrics and benchmarks. */
  stats(): { cachedEntries: number; diskBytes: number };
}

/** Keys are stored as they are when they are strings or finite numbers; anything else by its JSON form. */
export function storedKey(key: unknown): StoredKey {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' && Number.isFinite(key)) return key;
  if (typeof key === 'bigint') return `${key}n`;
  return JSON.stringify(key);
}
