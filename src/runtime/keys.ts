/**
 * Key → key group → worker. A key's group is a hash of the key; groups map to workers in
 * contiguous ranges (Flink's KeyGroupRangeAssignment), so a group can later move as a whole.
 * Deterministic across threads and runs: no per-process seed.
 */

/** murmur3's 32-bit finaliser: good avalanche for integers. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashString(s: string): number {
  // FNV-1a over UTF-16 code units, then mixed.
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

export function hashKey(key: unknown): number {
  if (typeof key === 'number') {
    if (Number.isInteger(key) && key >= -0x80000000 && key <= 0xffffffff) return mix32(key | 0);
    return hashString(String(key));
  }
  if (typeof key === 'string') return hashString(key);
  if (typeof key === 'bigint' || typeof key === 'boolean') return hashString(String(key));
  return hashString(JSON.stringify(key));
}

export function keyGroupOf(key: unknown, keyGroups: number): number {
  return hashKey(key) % keyGroups;
}

export function workerOfKeyGroup(keyGroup: number, keyGroups: number, parallelism: number): number {
  return Math.floor((keyGroup * parallelism) / keyGroups);
}

/** Precomputed key group → worker table for the hot path. */
export function keyGroupTable(keyGroups: number, parallelism: number): Int32Array {
  const table = new Int32Array(keyGroups);
  for (let g = 0; g < keyGroups; g++) table[g] = workerOfKeyGroup(g, keyGroups, parallelism);
  return table;
}
