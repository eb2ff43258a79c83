/** Deterministic 32-bit hashing, the same on every thread and in every run (no per-process seed). */

/** murmur3's 32-bit finaliser: good avalanche for integers and for finishing other hashes. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over UTF-16 code units (offset basis and prime selectable for independent hashes), then mixed. */
export function hashString(s: string, offsetBasis = 0x811c9dc5, prime = 0x01000193): number {
  let h = offsetBasis >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, prime);
  }
  return mix32(h);
}

/** FNV-1a over bytes [from, to) (unmixed: callers that need avalanche mix it). */
export function hashBytes(bytes: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}
