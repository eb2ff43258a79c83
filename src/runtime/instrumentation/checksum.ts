import { mix32 } from '../../util/hash.ts';

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
    // hashString(text) and hashString(text, 0x5bd1e995, 0x0100019d) in one pass over the text (it
    // is read once for both; the lanes, and so every checksum ever reported, are unchanged).
    let low = 0x811c9dc5;
    let high = 0x5bd1e995;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      low = Math.imul(low ^ c, 0x01000193);
      high = Math.imul(high ^ c, 0x0100019d);
    }
    this.low = (this.low + mix32(low)) >>> 0;
    this.high = (this.high + mix32(high)) >>> 0;
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
