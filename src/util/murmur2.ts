/**
 * Kafka's default partitioner for keyed records, bit for bit as the Java client
 * (org.apache.kafka.common.utils.Utils.murmur2 and toPositive): a record with key k goes to
 * partition toPositive(murmur2(k)) % numPartitions, so weir and every other standard client put
 * a key on the same partition. Java int arithmetic is emulated with Math.imul and `| 0`.
 */
const seed = 0x9747b28c | 0;
const m = 0x5bd1e995;

/** Java's Utils.murmur2 of `key` (a UTF-8 string or bytes): a signed 32-bit integer. */
export function murmur2(key: string | Uint8Array): number {
  const data = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  const length = data.length;
  let h = seed ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  // Java's switch falls through 3 → 2 → 1; the same without a fall-through.
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2] << 16;
  if (rest >= 2) h ^= data[tail + 1] << 8;
  if (rest >= 1) {
    h ^= data[tail];
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka's default partitioner picks for a non-null key. */
export function kafkaPartitionForKey(key: string | Uint8Array, numPartitions: number): number {
  return (murmur2(key) & 0x7fffffff) % numPartitions;
}
