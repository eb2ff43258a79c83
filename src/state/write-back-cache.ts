/**
 * The bookkeeping of the write-back cache in front of LMDB (lmdb-store.ts does the I/O).
 *
 * Entries are clean (equal to LMDB), dirty (written or deleted since the last write-back) or
 * tombstones (a dirty delete: value undefined). Writes stay here until the cache is over capacity
 * or the store is flushed, so a hot key updated a thousand times between two flushes costs one
 * LMDB write, and reads of hot keys never decode msgpack.
 *
 * Eviction picks the coldest entries with the CLOCK (second chance) policy: a hit only sets a
 * flag, instead of moving the entry in an LRU list (a Map delete + insert per read); the
 * eviction scan gives flagged entries a second chance by moving them to the back.
 */
import { EntryMap } from './entry-map.ts';
import type { StoredKey } from './store.ts';

export interface CachedEntry {
  readonly state: string;
  readonly keyGroup: number;
  readonly key: StoredKey;
  readonly namespace: string;
  /** undefined: a tombstone (deleted, not yet written back). */
  value: unknown;
  dirty: boolean;
  /** Used since the eviction scan last passed (CLOCK's reference bit). */
  referenced: boolean;
}

export class WriteBackCache {
  private readonly entries = new EntryMap<CachedEntry>();
  /** Every entry, in CLOCK order: the front is the next eviction candidate. */
  private readonly clock = new Set<CachedEntry>();
  private readonly dirtyByState = new Map<string, Set<CachedEntry>>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.clock.size;
  }

  lookup(state: string, keyGroup: number, key: StoredKey, namespace: string): CachedEntry | undefined {
    const entry = this.entries.get(state, keyGroup, key, namespace);
    if (entry) entry.referenced = true;
    return entry;
  }

  /** Like lookup, without counting as a use. */
  peek(state: string, keyGroup: number, key: StoredKey, namespace: string): CachedEntry | undefined {
    return this.entries.get(state, keyGroup, key, namespace);
  }

  /** Inserts or replaces; `value` undefined records a delete. */
  set(state: string, keyGroup: number, key: StoredKey, namespace: string, value: unknown, dirty: boolean): void {
    let entry = this.entries.get(state, keyGroup, key, namespace);
    if (entry) {
      entry.value = value;
      entry.referenced = true;
    } else {
      entry = { state, keyGroup, key, namespace, value, dirty: false, referenced: false };
      this.entries.set(state, keyGroup, key, namespace, entry);
      this.clock.add(entry);
    }
    if (dirty) this.markDirty(entry);
  }

  isOverCapacity(): boolean {
    return this.clock.size > this.capacity;
  }

  /** Entries to evict: `count` of the coldest, with a second chance for those used since the last scan. */
  coldest(count: number): CachedEntry[] {
    const victims: CachedEntry[] = [];
    // Each entry is seen at most twice: a referenced one goes to the back with its bit cleared.
    for (const entry of this.clock) {
      if (victims.length >= count) break;
      if (entry.referenced) {
        entry.referenced = false;
        this.clock.delete(entry);
        this.clock.add(entry);
      } else {
        victims.push(entry);
      }
    }
    return victims;
  }

  /** Dirty entries of one state, or of all. */
  dirtyEntries(state?: string): CachedEntry[] {
    if (state !== undefined) return [...(this.dirtyByState.get(state) ?? [])];
    const all: CachedEntry[] = [];
    for (const set of this.dirtyByState.values()) for (const entry of set) all.push(entry);
    return all;
  }

  /** Up to `count` dirty entries, whichever come first. */
  someDirty(count: number): CachedEntry[] {
    const some: CachedEntry[] = [];
    for (const set of this.dirtyByState.values()) {
      for (const entry of set) {
        if (some.length >= count) return some;
        some.push(entry);
      }
    }
    return some;
  }

  get dirtyCount(): number {
    let n = 0;
    for (const set of this.dirtyByState.values()) n += set.size;
    return n;
  }

  /** After a successful write-back: the entries equal LMDB now; tombstones need no slot any more. */
  markWritten(entries: CachedEntry[]): void {
    for (const entry of entries) {
      this.markClean(entry);
      if (entry.value === undefined) this.forget(entry);
    }
  }

  remove(entry: CachedEntry): void {
    this.markClean(entry);
    this.forget(entry);
  }

  /** Only an entry of this cache is dropped, never another one at the same address. */
  private forget(entry: CachedEntry): void {
    if (this.clock.delete(entry)) this.entries.delete(entry.state, entry.keyGroup, entry.key, entry.namespace);
  }

  private markDirty(entry: CachedEntry): void {
    if (entry.dirty) return;
    entry.dirty = true;
    let set = this.dirtyByState.get(entry.state);
    if (!set) this.dirtyByState.set(entry.state, (set = new Set()));
    set.add(entry);
  }

  private markClean(entry: CachedEntry): void {
    if (!entry.dirty) return;
    entry.dirty = false;
    const set = this.dirtyByState.get(entry.state);
    if (!set) return;
    set.delete(entry);
    if (set.size === 0) this.dirtyByState.delete(entry.state);
  }
}
