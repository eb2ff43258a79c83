/**
 * Key → key group → worker. A key's group is a hash of the key; groups map to workers in
 * contiguous ranges (Flink's KeyGroupRangeAssignment), so a group can later move as a whole.
 * Deterministic across threads and runs: no per-process seed.
 */
import { kafkaPartitionForKey } from '../util/murmur2.ts';
import { WeirError } from '../errors.ts';
import { hashString, mix32 } from '../util/hash.ts';

/**
 * How a key finds its key group. 'hash' (the default): a hash of the key, any key type. 'kafka':
 * Kafka's default partitioner (murmur2 of the key's bytes, as the Java client), so with as many
 * key groups as the topic has partitions a key's group is the Kafka partition of its records —
 * the state of one Kafka partition is one key group (scale-out, docs/kafka.md). Keys must then be
 * the Kafka record keys: strings (UTF-8) or Buffers.
 */
export type KeyGroupAssigner = 'hash' | 'kafka';

export function hashKey(key: unknown): number {
  if (typeof key === 'number') {
    if (Number.isInteger(key) && key >= -0x80000000 && key <= 0xffffffff) return mix32(key | 0);
    return hashString(String(key));
  }
  if (typeof key === 'string') return hashString(key);
  if (typeof key === 'bigint' || typeof key === 'boolean') return hashString(String(key));
  return hashString(JSON.stringify(key));
}

export function keyGroupOf(key: unknown, keyGroups: number, assigner: KeyGroupAssigner = 'hash'): number {
  if (assigner === 'hash') return hashKey(key) % keyGroups;
  if (typeof key === 'string' || Buffer.isBuffer(key)) return kafkaPartitionForKey(key, keyGroups);
  throw new WeirError('WEIR_USER_FUNCTION', `with keyGroupAssigner 'kafka' a key must be the Kafka record key (a string or a Buffer), got ${typeof key}`);
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
