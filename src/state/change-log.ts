/**
 * What an LmdbStore changed in LMDB since the log was last taken, value and all: an incremental
 * snapshot is made from it alone (snapshot/state-snapshot.ts, deltaContents), without reading
 * LMDB.
 *
 * Every write-back appends, in one growing byte buffer:
 *
 *   u16le(key bytes) key u32le(value bytes, or 0xffffffff for a delete) value
 *
 * The key is ordered-binary's encoding of [state, keyGroup, key, namespace] and the value the
 * bytes the store put into LMDB (lmdb-js' own encoding, done once: the store hands LMDB the same
 * bytes). So a delta is LMDB's entries as LMDB holds them, and taking the log at a checkpoint
 * barrier costs the worker nothing but handing over the buffer (transferred, not copied; posting
 * 50 K key tuples instead took the worker 8 ms there). Reading each changed key back from a
 * pinned LMDB view on the snapshot thread cost it 80–200 ms a second at 50 K keys/s over 1 M keys,
 * beside the worker. The same key may be logged several times (written back more than once): the
 * last one is the key's value at the cut (latestChanges). The key bytes must be the very bytes
 * lmdb-js writes for the key (the same ordered-binary module; test/state/change-log.test.ts holds
 * them to it), since full snapshots, deltas and merges compare keys as bytes.
 *
 * A log that grows past limits.changeLogBytesMax is dropped and marked incomplete: the next
 * snapshot is then a full one, which is cheaper than a delta that large anyway.
 */
import { writeKey } from './ordered-keys.ts';
import { limits } from '../limits.ts';
import { ByteKeyIndex } from '../util/byte-key-index.ts';
import type { StoredKey } from './store.ts';

/** The largest key the log holds (LMDB's own limit on key size is ~1978 bytes with lmdb-js' defaults). */
export const keyBytesMax = 0xffff;
/** The value length that marks a delete. */
const deleted = 0xffffffff;

/** What was logged since the last take(), or undefined when the log overflowed (take a full snapshot). */
export interface TakenChanges {
  bytes: Uint8Array;
  count: number;
}

export class ChangeLog {
  private buffer = new Uint8Array(limits.changeLogBytesInitial);
  private length = 0;
  private count = 0;
  private complete = true;

  /** Logs a put of `value` (the bytes written to LMDB), or a delete when `value` is undefined. */
  append(state: string, keyGroup: number, key: StoredKey, namespace: string, value: Uint8Array | undefined): void {
    if (!this.complete) return;
    const valueBytes = value?.length ?? 0;
    // Room for the lengths, the largest key and the value: writeKey does not check bounds.
    if (this.length + 6 + keyBytesMax + valueBytes > this.buffer.length && !this.grow(6 + keyBytesMax + valueBytes)) return;
    const b = this.buffer;
    const start = this.length + 2;
    const end = writeKey([state, keyGroup, key, namespace], b, start);
    const size = end - start;
    if (size > keyBytesMax) {
      this.overflow();
      return;
    }
    b[this.length] = size & 0xff;
    b[this.length + 1] = size >>> 8;
    const length = value === undefined ? deleted : valueBytes;
    b[end] = length & 0xff;
    b[end + 1] = (length >>> 8) & 0xff;
    b[end + 2] = (length >>> 16) & 0xff;
    b[end + 3] = length >>> 24;
    if (value !== undefined) b.set(value, end + 4);
    this.length = end + 4 + valueBytes;
    this.count++;
  }

  /** Where the log ends now: rollBack(mark) forgets what was appended after it (a transaction that did not commit). */
  mark(): { length: number; count: number } {
    return { length: this.length, count: this.count };
  }

  rollBack(mark: { length: number; count: number }): void {
    // After a take() or an overflow there is nothing of this transaction's to forget.
    if (!this.complete || mark.length > this.length) return;
    this.length = mark.length;
    this.count = mark.count;
  }

  /** What was logged since the last take (undefined: incomplete), and a new, empty log. */
  take(): TakenChanges | undefined {
    const taken = this.complete ? { bytes: this.buffer.subarray(0, this.length), count: this.count } : undefined;
    this.buffer = new Uint8Array(limits.changeLogBytesInitial);
    this.length = 0;
    this.count = 0;
    this.complete = true;
    return taken;
  }

  /** Forgets what was logged and marks the log incomplete until the next take(). */
  overflow(): void {
    this.complete = false;
    this.buffer = new Uint8Array(0);
    this.length = 0;
    this.count = 0;
  }

  private grow(needed: number): boolean {
    const size = Math.max(this.buffer.length * 2, this.length + needed);
    if (size > limits.changeLogBytesMax) {
      this.overflow();
      return false;
    }
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    return true;
  }
}

/** A taken log's keys, each once, with the last change logged for each. */
export interface LatestChanges {
  /** The log's bytes (values are read from here). */
  bytes: Uint8Array;
  /** The keys, with ids in the order first logged. */
  keys: ByteKeyIndex;
  /** Per key id: where its last logged value lies in `bytes`; valueStart is -1 for a delete. */
  valueStart: Int32Array;
  valueEnd: Int32Array;
}

/** The keys of a taken log, each once, with the value (or delete) logged last for it. Nothing is decoded. */
export function latestChanges(changes: TakenChanges): LatestChanges {
  const { bytes, count } = changes;
  const keys = new ByteKeyIndex(count);
  let valueStart = new Int32Array(count);
  let valueEnd = new Int32Array(count);
  for (let at = 0; at < bytes.length; ) {
    const keyStart = at + 2;
    const keyEnd = keyStart + (bytes[at] | (bytes[at + 1] << 8));
    const length = (bytes[keyEnd] | (bytes[keyEnd + 1] << 8) | (bytes[keyEnd + 2] << 16)) + bytes[keyEnd + 3] * 0x1000000;
    const id = keys.add(bytes, keyStart, keyEnd);
    if (length === deleted) {
      valueStart[id] = -1;
      at = keyEnd + 4;
    } else {
      valueStart[id] = keyEnd + 4;
      valueEnd[id] = at = keyEnd + 4 + length;
    }
  }
  valueStart = valueStart.subarray(0, keys.size);
  valueEnd = valueEnd.subarray(0, keys.size);
  return { bytes, keys, valueStart, valueEnd };
}
