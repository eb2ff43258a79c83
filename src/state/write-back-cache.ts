/**
 * The bookkeeping of the write-back cache in front of LMDB (lmdb-store.ts does the I/O).
 *
 * Entries are clean (equal to LMDB), dirty (written or deleted since the last write-back) or
 * tombstones (a dirty delete: value undefined). Writes stay here until the cache is over capacity
 * or the store is flushed, so a hot key updated a thousand times between two flushes costs one
 * LMDB write, and reads of hot keys never decode msgpack.
 *
 * Eviction picks the coldest entries with the CLOCK (second chance) policy: every entry has a slot
 * on a circular array, a hit only sets the entry's reference bit, and a hand sweeps the slots,
 * clearing set bits and taking entries whose bit is clear. Nothing moves: an earlier version kept
 * the clock order in a Set and gave a second chance by deleting and re-adding the entry. Every new
 * key is read and then written, so every entry had its bit set and each eviction of 20 K entries
 * moved up to 180 K of them: 18–38 ms, most of a 50 K/s job's p99 with 1 M keys of state.
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
  /**
   * Dirty, and its value is in the change log taken at the last snapshot (LmdbStore.
   * takeSnapshotChanges): the next delta need not hold it again unless it changes.
   */
  logged: boolean;
  /** Used since the eviction scan last passed (CLOCK's reference bit). */
  referenced: boolean;
  /** Its slot on the clock. */
  slot: number;
}

export class WriteBackCache {
  private readonly entries = new EntryMap<CachedEntry>();
  /** The clock: every entry in its slot; a removed entry's slot is free for the next new one. */
  private readonly slots: Array<CachedEntry | undefined> = [];
  private readonly freeSlots: number[] = [];
  private hand = 0;
  private count = 0;
  private readonly dirtyByState = new Map<string, Set<CachedEntry>>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.count;
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
      // A freed slot is usually a victim's, just behind the hand: the new entry is looked at last.
      const slot = this.freeSlots.pop() ?? this.slots.length;
      entry = { state, keyGroup, key, namespace, value, dirty: false, logged: false, referenced: false, slot };
      this.slots[slot] = entry;
      this.count++;
      this.entries.set(state, keyGroup, key, namespace, entry);
    }
    if (dirty) {
      entry.logged = false;
      this.markDirty(entry);
    }
  }

  isOverCapacity(): boolean {
    return this.count > this.capacity;
  }

  /**
   * Up to `count` of the coldest entries, from the hand on; they stay cached until remove().
   * Entries used since the hand last passed get a second chance (their bit is cleared).
   */
  coldest(count: number): CachedEntry[] {
    const victims: CachedEntry[] = [];
    const n = this.slots.length;
    // One sweep clears every bit it passes, so a second finds the rest; it must not take an entry
    // the first one took (rare: only when asked for more than the first sweep found).
    let taken: Set<CachedEntry> | undefined;
    for (let step = 0; victims.length < count && step < 2 * n; step++) {
      if (step === n) taken = new Set(victims);
      const entry = this.slots[this.hand];
      this.hand = this.hand + 1 === n ? 0 : this.hand + 1;
      if (entry === undefined) continue;
      if (entry.referenced) entry.referenced = false;
      else if (!taken?.has(entry)) victims.push(entry);
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
    if (this.slots[entry.slot] !== entry) return;
    this.slots[entry.slot] = undefined;
    this.freeSlots.push(entry.slot);
    this.count--;
    this.entries.delete(entry.state, entry.keyGroup, entry.key, entry.namespace);
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
