/**
 * The keys an LmdbStore changed in LMDB since the log was last taken: what an incremental
 * snapshot must copy (checkpoint/snapshot-thread.ts reads their values from the pinned view).
 *
 * Keys are appended as they are written back, encoded with ordered-binary (LMDB's own key
 * encoding) into one growing byte buffer, each behind a u16 length. The snapshot thread looks
 * them up in LMDB as they are, so they must be the very bytes lmdb-js writes for the key (the
 * same ordered-binary module; test/state/change-log.test.ts holds them to it). So taking the log at a
 * checkpoint barrier costs the worker nothing but handing over the buffer (transferred, not
 * copied): posting 50 K key tuples to a thread instead took the worker 8 ms at the barrier.
 * The same key may appear several times (written back more than once); readers de-duplicate.
 *
 * A log that grows past limits.changeLogBytesMax is dropped and marked incomplete: the next
 * snapshot is then a full one, which is cheaper than a delta that large anyway.
 */
import { writeKey } from 'ordered-binary';
import { limits } from '../limits.ts';
import { ByteKeyIndex } from '../util/byte-key-index.ts';
import type { StoredKey } from './store.ts';

/** The largest key the log holds (LMDB's own limit on key size is ~1978 bytes with lmdb-js' defaults). */
export const keyBytesMax = 0xffff;

/** Keys changed since the last take(), or undefined when the log overflowed (take a full snapshot). */
export interface TakenChanges {
  bytes: Uint8Array;
  count: number;
}

export class ChangeLog {
  private buffer = new Uint8Array(limits.changeLogBytesInitial);
  private length = 0;
  private count = 0;
  private complete = true;

  append(state: string, keyGroup: number, key: StoredKey, namespace: string): void {
    if (!this.complete) return;
    // Room for the length prefix and the largest key: writeKey does not check bounds.
    if (this.length + 2 + keyBytesMax > this.buffer.length && !this.grow()) return;
    const start = this.length + 2;
    const end = writeKey([state, keyGroup, key, namespace], this.buffer, start);
    const size = end - start;
    if (size > keyBytesMax) {
      this.overflow();
      return;
    }
    this.buffer[this.length] = size & 0xff;
    this.buffer[this.length + 1] = size >>> 8;
    this.length = end;
    this.count++;
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

  private grow(): boolean {
    const size = Math.max(this.buffer.length * 2, this.length + 2 + keyBytesMax);
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

/**
 * The keys of a taken log, each once, as LMDB's key bytes, with ids in the order first logged. No
 * key is decoded: the snapshot thread looks them up in LMDB as bytes.
 */
export function uniqueChangedKeys(changes: TakenChanges): ByteKeyIndex {
  const { bytes, count } = changes;
  const keys = new ByteKeyIndex(count);
  for (let at = 0; at < bytes.length; ) {
    const start = at + 2;
    at = start + (bytes[at] | (bytes[at + 1] << 8));
    keys.add(bytes, start, at);
  }
  return keys;
}
