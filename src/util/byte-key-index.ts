/**
 * A set of byte strings (encoded LMDB keys), each given a dense id in the order first added.
 *
 * Built for incremental snapshots, which handle tens of thousands of keys a second on a thread
 * beside the worker: de-duplicating a change log and looking a snapshot's keys up in a merge's
 * changes. Keys are copied into one growing arena and found through an open-addressing table of
 * ids, so adding or finding a key allocates nothing: keying a Set or Map by a string made of each
 * key's bytes cost a string (and its garbage) per look-up.
 */
import { mix32 } from './hash.ts';

const emptySlot = -1;
/** The table is at most half full. */
const loadFactorMax = 0.5;

export class ByteKeyIndex {
  private arena: Uint8Array;
  private arenaBytes = 0;
  /** Per id: where its key starts in the arena, and its length. */
  private starts: Int32Array;
  private lengths: Int32Array;
  private count = 0;
  /** Per slot, two words: the id (or emptySlot) and the key's hash. Its slot count is a power of two. */
  private table: Int32Array;

  constructor(expectedKeys = 1024, expectedKeyBytes = 32) {
    const keys = Math.max(16, expectedKeys);
    this.arena = new Uint8Array(keys * expectedKeyBytes);
    this.starts = new Int32Array(keys);
    this.lengths = new Int32Array(keys);
    this.table = newTable(tableSlotsFor(keys));
  }

  get size(): number {
    return this.count;
  }

  /** The id of bytes[start, end), or -1 when it is not in the index. */
  find(bytes: Uint8Array, start = 0, end = bytes.length): number {
    const table = this.table;
    const mask = (table.length >>> 1) - 1;
    const hash = hashBytes(bytes, start, end);
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const id = table[slot * 2];
      if (id === emptySlot) return -1;
      if (table[slot * 2 + 1] === hash && this.holds(id, bytes, start, end)) return id;
    }
  }

  /**
   * The id of bytes[start, end), added when new (copied: the caller may reuse `bytes`). A new key's
   * id is the size before the call, so `index.add(…) === sizeBefore` tells that it was new.
   */
  add(bytes: Uint8Array, start = 0, end = bytes.length): number {
    const slots = this.table.length >>> 1;
    if (this.count + 1 > slots * loadFactorMax) this.rehash(slots * 2);
    const table = this.table;
    const mask = (table.length >>> 1) - 1;
    const hash = hashBytes(bytes, start, end);
    let slot = hash & mask;
    for (; ; slot = (slot + 1) & mask) {
      const id = table[slot * 2];
      if (id === emptySlot) break;
      if (table[slot * 2 + 1] === hash && this.holds(id, bytes, start, end)) return id;
    }
    const id = this.count++;
    const length = end - start;
    if (id === this.starts.length) {
      this.starts = grown(this.starts, id * 2);
      this.lengths = grown(this.lengths, id * 2);
    }
    if (this.arenaBytes + length > this.arena.length) this.arena = grown(this.arena, Math.max(this.arena.length * 2, this.arenaBytes + length));
    this.arena.set(bytes.subarray(start, end), this.arenaBytes);
    this.starts[id] = this.arenaBytes;
    this.lengths[id] = length;
    this.arenaBytes += length;
    table[slot * 2] = id;
    table[slot * 2 + 1] = hash;
    return id;
  }

  /** The key of `id`: a view into the index's memory, valid until the next add(). */
  key(id: number): Uint8Array {
    return this.arena.subarray(this.starts[id], this.starts[id] + this.lengths[id]);
  }

  private holds(id: number, bytes: Uint8Array, start: number, end: number): boolean {
    if (this.lengths[id] !== end - start) return false;
    const arena = this.arena;
    // From the end: keys of one state share their first bytes.
    for (let i = end - 1, at = this.starts[id] + (end - 1 - start); i >= start; i--, at--) if (arena[at] !== bytes[i]) return false;
    return true;
  }

  private rehash(slots: number): void {
    const old = this.table;
    const table = newTable(slots);
    const mask = slots - 1;
    for (let s = 0; s < old.length; s += 2) {
      if (old[s] === emptySlot) continue;
      let slot = old[s + 1] & mask;
      while (table[slot * 2] !== emptySlot) slot = (slot + 1) & mask;
      table[slot * 2] = old[s];
      table[slot * 2 + 1] = old[s + 1];
    }
    this.table = table;
  }
}

/**
 * FNV-1a over the bytes four at a time, then mixed: a quarter of the multiplications of hashing
 * byte by byte, and each step still a bijection of the state, so keys of one length that differ
 * in one word never share the state.
 */
function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  let i = start;
  for (; i + 4 <= end; i += 4) h = Math.imul(h ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)), 0x01000193);
  for (; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return mix32(h ^ (end - start)) | 0;
}

function newTable(slots: number): Int32Array {
  const table = new Int32Array(slots * 2);
  for (let s = 0; s < table.length; s += 2) table[s] = emptySlot;
  return table;
}

function tableSlotsFor(keys: number): number {
  let slots = 16;
  while (keys > slots * loadFactorMax) slots *= 2;
  return slots;
}

function grown<T extends Uint8Array | Int32Array>(array: T, length: number): T {
  const next = new (array.constructor as new (length: number) => T)(length);
  next.set(array);
  return next;
}
