/**
 * Pair blocks: LMDB entries as the bytes LMDB holds them, the payload of an LMDB snapshot's frames
 * (state-snapshot.ts describes the frames).
 *
 *   a pair          varint(shared) varint(suffix bytes) suffix varint(value bytes) value
 *   a deleted key   varint(shared) varint(suffix bytes) suffix
 *
 * A key is ordered-binary's encoding of [state, keyGroup, key, namespace] — LMDB's key, and the
 * change log's (state/change-log.ts) — and a value is lmdb-js' msgpack encoding of it. Snapshots
 * copy both as they are, and a merge of a chain compares and copies them as they are: decoding
 * every key and value and encoding them again into tuples was most of what a delta cost the
 * snapshot thread, and its garbage was most of the rest (docs/benchmarks.md). Only a restore
 * decodes them (decodePair), since it puts them into a store.
 *
 * A key is written as the number of leading bytes it shares with the previous key of its block
 * and the bytes that follow (LevelDB's and RocksDB's blocks do the same): keys of one state share
 * the state id's bytes, and a full snapshot's keys, in LMDB's order, their key group's too. Whole
 * keys made LMDB snapshots twice as large as the tuples they replaced; shared prefixes make them
 * smaller. Lengths are LEB128 varints. Each block starts afresh, so a frame reads on its own.
 */
import type { Unpackr } from 'msgpackr';
import { msgpackr } from '../state/lmdb-module.ts';
import { readKey, writeKey } from '../state/ordered-keys.ts';
import { keyBytesMax } from '../state/change-log.ts';
import type { DeletedKey, EntryTuple } from './state-snapshot.ts';

export interface PairBlock {
  bytes: Uint8Array;
  /** Pairs (or deleted keys) in it. */
  count: number;
}

/** The most bytes a varint of a value below 2^32 takes. */
const varintBytesMax = 5;

/** Appends pairs or deleted keys to a block; take() hands the block over and starts a new one. */
export class PairBlockBuilder {
  private buffer: Uint8Array;
  private length = 0;
  /** The previous key of this block (the first `lastKeyBytes` bytes). */
  private readonly lastKey = new Uint8Array(keyBytesMax + 1);
  private lastKeyBytes = 0;
  count = 0;

  constructor(initialBytes = 1 << 16) {
    this.buffer = new Uint8Array(initialBytes);
  }

  /** Appends key[keyStart, keyEnd) and value[valueStart, valueEnd) (copied). */
  addPair(key: Uint8Array, keyStart: number, keyEnd: number, value: Uint8Array, valueStart: number, valueEnd: number): void {
    const valueBytes = valueEnd - valueStart;
    this.reserve(3 * varintBytesMax + (keyEnd - keyStart) + valueBytes);
    const at = this.writeKey(key, keyStart, keyEnd);
    this.length = copy(value, valueStart, valueEnd, this.buffer, writeVarint(this.buffer, at, valueBytes));
    this.count++;
  }

  /** Appends a deleted key, key[start, end) (copied). */
  addKey(key: Uint8Array, start = 0, end = key.length): void {
    this.reserve(2 * varintBytesMax + (end - start));
    this.length = this.writeKey(key, start, end);
    this.count++;
  }

  /** The block so far; the builder starts an empty one, as large as this one grew. */
  take(): PairBlock {
    const block = { bytes: this.buffer.subarray(0, this.length), count: this.count };
    this.buffer = new Uint8Array(this.buffer.length);
    this.length = 0;
    this.lastKeyBytes = 0;
    this.count = 0;
    return block;
  }

  /** Writes a key as its shared prefix and suffix; returns where it ended. */
  private writeKey(key: Uint8Array, start: number, end: number): number {
    const keyBytes = end - start;
    checkKeyBytes(keyBytes);
    const last = this.lastKey;
    const sharedMax = Math.min(keyBytes, this.lastKeyBytes);
    let shared = 0;
    while (shared < sharedMax && last[shared] === key[start + shared]) shared++;
    let at = writeVarint(this.buffer, this.length, shared);
    at = writeVarint(this.buffer, at, keyBytes - shared);
    at = copy(key, start + shared, end, this.buffer, at);
    copy(key, start + shared, end, last, shared);
    this.lastKeyBytes = keyBytes;
    return at;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + bytes));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
}

/** Copies from[start, end) to `to` at `at`; returns where it ended. Keys and most values are a few dozen bytes, which a loop copies faster than a subarray and set(). */
function copy(from: Uint8Array, start: number, end: number, to: Uint8Array, at: number): number {
  if (end - start > 64) {
    to.set(from.subarray(start, end), at);
    return at + end - start;
  }
  for (let i = start; i < end; i++) to[at++] = from[i];
  return at;
}

function writeVarint(to: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    to[at++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  to[at++] = value;
  return at;
}

function checkKeyBytes(keyBytes: number): void {
  // LMDB has no empty keys, and lmdb-js' longest is far below the change log's limit.
  if (keyBytes === 0 || keyBytes > keyBytesMax) throw new Error(`a state key of ${keyBytes} bytes cannot be written to a snapshot`);
}

/**
 * Walks a block's pairs (withValues) or deleted keys. The current key is `key[0, keyBytes)` (the
 * cursor's own buffer, rewritten by next()); the current value is `bytes[valueStart, valueEnd)`.
 * next() throws when the block's lengths do not add up (a reader turns that into "damaged").
 */
export class PairCursor {
  /** One byte more than the longest key: ordered-binary's readKey views its buffer in whole 4-byte words. */
  readonly key = new Uint8Array(keyBytesMax + 1);
  keyBytes = 0;
  valueStart = 0;
  valueEnd = 0;
  private at = 0;

  constructor(
    readonly bytes: Uint8Array,
    private readonly withValues: boolean,
  ) {}

  next(): boolean {
    if (this.at === this.bytes.length) return false;
    const shared = this.varint();
    const suffix = this.varint();
    if (shared > this.keyBytes || shared + suffix === 0 || shared + suffix > keyBytesMax) throw new Error('a key shares more than the previous key has, or is empty or too long');
    if (this.at + suffix > this.bytes.length) throw new Error('a key runs past the end of its frame');
    copy(this.bytes, this.at, this.at + suffix, this.key, shared);
    this.keyBytes = shared + suffix;
    this.at += suffix;
    if (!this.withValues) return true;
    const valueBytes = this.varint();
    this.valueStart = this.at;
    this.valueEnd = this.at + valueBytes;
    if (this.valueEnd > this.bytes.length) throw new Error('a value runs past the end of its frame');
    this.at = this.valueEnd;
    return true;
  }

  private varint(): number {
    const b = this.bytes;
    let value = 0;
    for (let scale = 1, i = 0; i < varintBytesMax; scale *= 128, i++) {
      if (this.at >= b.length) break;
      const byte = b[this.at++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
    }
    throw new Error('a length runs past the end of its frame, or is too long');
  }
}

const nul = 0;

/**
 * Counts keys per state id (a snapshot's end frame lists them). A key's state is decoded only when
 * its first bytes differ from the previous key's state: keys of one state share their first bytes
 * (ordered-binary ends a string inside an array with a 0 byte, and writes a 0 byte nowhere else but
 * for a U+0000 in the string), so a snapshot decodes a state id about once per state, not per key.
 */
export class StateCounts {
  readonly counts: Record<string, number> = {};
  private prefix = new Uint8Array(0);
  private state: string | undefined;

  add(bytes: Uint8Array, start: number, end: number): void {
    // The previous state's prefix ends with its only 0 byte: a key that starts with it has the same state.
    if (this.state === undefined || !this.startsWithPrefix(bytes, start, end)) {
      let sep = start;
      while (sep < end && bytes[sep] !== nul) sep++;
      this.decode(bytes, start, end, sep + 1);
    }
    this.addState(this.state!);
  }

  /** Counts one entry of `state` (a tuple's, whose state is at hand). */
  addState(state: string): void {
    this.counts[state] = (this.counts[state] ?? 0) + 1;
  }

  private startsWithPrefix(bytes: Uint8Array, start: number, end: number): boolean {
    const p = this.prefix;
    if (p.length === 0 || end - start < p.length) return false;
    for (let i = 0; i < p.length; i++) if (p[i] !== bytes[start + i]) return false;
    return true;
  }

  private decode(bytes: Uint8Array, start: number, end: number, prefixEnd: number): void {
    const key = readKey(bytes, start, end) as unknown;
    if (!Array.isArray(key) || key.length !== 4 || typeof key[0] !== 'string') throw new Error('a key is not [state, keyGroup, key, namespace]');
    this.state = key[0];
    // A state id holding U+0000 has a 0 byte inside its encoding: its keys are decoded one by one.
    const endsWithNul = prefixEnd <= end && bytes[prefixEnd - 1] === nul;
    this.prefix = endsWithNul && !key[0].includes('\u0000') ? bytes.slice(start, prefixEnd) : new Uint8Array(0);
  }
}

/** The cursor's pair decoded into the tuple a store takes (its shape is for the caller to check). */
export function decodePair(cursor: PairCursor, unpackr: Unpackr): EntryTuple {
  const key = readKey(cursor.key, 0, cursor.keyBytes) as unknown as unknown[];
  return [key[0], key[1], key[2], key[3], unpackr.unpack(cursor.bytes.subarray(cursor.valueStart, cursor.valueEnd))] as EntryTuple;
}

/** The cursor's deleted key decoded into its tuple (its shape is for the caller to check). */
export function decodeDeletedKey(cursor: PairCursor): DeletedKey {
  return readKey(cursor.key, 0, cursor.keyBytes) as unknown as DeletedKey;
}

/**
 * Encodes tuples as pairs: a merge meets tuples in the chain's files written before snapshots held
 * pairs. Values are encoded by msgpackr with its default options, which decode as lmdb-js' do.
 */
export class TupleEncoder {
  private readonly packr = new (msgpackr().Packr)();
  /** writeKey checks no bounds and views its target in whole 4-byte words: a size it can fill. */
  private readonly key = Buffer.alloc(keyBytesMax + 1);

  pairs(entries: EntryTuple[]): PairBlock {
    const builder = new PairBlockBuilder();
    for (const [state, keyGroup, key, namespace, value] of entries) {
      const keyEnd = writeKey([state, keyGroup, key, namespace], this.key, 0);
      const packed = this.packr.pack(value);
      builder.addPair(this.key, 0, keyEnd, packed, 0, packed.length);
    }
    return builder.take();
  }

  deletedKeys(keys: DeletedKey[]): PairBlock {
    const builder = new PairBlockBuilder();
    for (const [state, keyGroup, key, namespace] of keys) builder.addKey(this.key, 0, writeKey([state, keyGroup, key, namespace], this.key, 0));
    return builder.take();
  }
}
