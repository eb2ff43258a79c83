/**
 * Key → key group → worker. A key's group is a hash of the key; groups map to workers in
 * contiguous ranges (Flink's KeyGroupRangeAssignment), so a group can later move as a whole.
 * Deterministic across threads and runs: no per-process seed.
 */
import { hashString, mix32 } from '../util/hash.ts';

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
