/**
 * An order-insensitive checksum of a stream's output: the sum, modulo 2^32 in each of two lanes,
 * of two independent 32-bit hashes of each record's JSON. Workers add up their own; sums add up
 * across workers. The same multiset of records gives the same checksum, whatever the order or
 * the worker that wrote them.
 */
export class OutputChecksum {
  private low = 0;
  private high = 0;
  records = 0;

  add(value: unknown): void {
    const text = JSON.stringify(value) ?? 'undefined';
    this.low = (this.low + hash(text, 0x811c9dc5, 0x01000193)) >>> 0;
    this.high = (this.high + hash(text, 0x5bd1e995, 0x0100019d)) >>> 0;
    this.records++;
  }

  /** The two lanes, to merge elsewhere. */
  lanes(): [number, number, number] {
    return [this.low, this.high, this.records];
  }

  static combine(parts: Array<[number, number, number]>): string {
    let low = 0;
    let high = 0;
    let records = 0;
    for (const [l, h, n] of parts) {
      low = (low + l) >>> 0;
      high = (high + h) >>> 0;
      records += n;
    }
    return `${high.toString(16).padStart(8, '0')}${low.toString(16).padStart(8, '0')}-${records}`;
  }
}

/** FNV-1a (with the given offset basis and prime) over UTF-16 code units, then murmur3's finaliser. */
function hash(text: string, seed: number, prime: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, prime);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
