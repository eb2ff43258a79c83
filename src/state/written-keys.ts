/**
 * The keys an LMDB store may have written: a Bloom filter, so that a read of a key the store never
 * wrote — every key's first sighting: a new distinct value, a new bidder, a new window — answers
 * "absent" without a lookup in LMDB (~1 µs, and the key encoded first). A filter never forgets a
 * key added (no false negatives); a key never added is taken for a written one now and then (a
 * false positive: only an LMDB read that finds nothing, as before). Keys deleted stay in it.
 */
import { hashString, mix32 } from '../util/hash.ts';
import { assert } from '../limits.ts';
import type { StoredKey } from './store.ts';

/** Bit positions per key: with ~12 bits per key, 3 gives ~1 % false positives. */
const hashes = 3;
const float = new Float64Array(1);
const words = new Uint32Array(float.buffer);

export class WrittenKeys {
  private readonly bits: Int32Array;
  private readonly mask: number;

  constructor(bitCount: number) {
    assert(Number.isInteger(Math.log2(bitCount)) && bitCount >= 32, `WrittenKeys: the bit count (${bitCount}) must be a power of 2, at least 32`);
    this.bits = new Int32Array(bitCount >>> 5);
    this.mask = bitCount - 1;
  }

  add(state: string, keyGroup: number, key: StoredKey, namespace: string): void {
    let h = keyHash(state, keyGroup, key, namespace);
    const step = mix32(h ^ 0x5bd1e995) | 1;
    for (let i = 0; i < hashes; i++, h = (h + step) >>> 0) {
      const bit = h & this.mask;
      this.bits[bit >>> 5] |= 1 << (bit & 31);
    }
  }

  mayContain(state: string, keyGroup: number, key: StoredKey, namespace: string): boolean {
    let h = keyHash(state, keyGroup, key, namespace);
    const step = mix32(h ^ 0x5bd1e995) | 1;
    for (let i = 0; i < hashes; i++, h = (h + step) >>> 0) {
      const bit = h & this.mask;
      if ((this.bits[bit >>> 5] & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

function keyHash(state: string, keyGroup: number, key: StoredKey, namespace: string): number {
  let h = hashString(state);
  h = mix32(h ^ Math.imul(keyGroup + 1, 0x9e3779b1));
  if (typeof key === 'number') {
    float[0] = key;
    h = mix32(h ^ words[0]);
    h = mix32(h ^ words[1]);
  } else {
    h = hashString(key, h);
  }
  return namespace === '' ? h : hashString(namespace, h);
}
