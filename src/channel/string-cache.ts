/**
 * The strings a field of one shape decoded lately, found by a hash of their bytes: a field that
 * repeats a few values (a day, a channel, a currency) gets the string it had, about twice as fast
 * as decoding its UTF-8 again, and the same string each time. Only short ASCII strings are kept
 * (their bytes are their chars, compared without a copy). A field of mostly new values would pay
 * for the lookups: one that finds fewer than half of its strings over lookupsPerCheck stops
 * looking for bypassLookups strings, then tries again.
 */
import { hashBytes } from '../util/hash.ts';

/** The longest string kept (bytes), the slots per field (a power of two), and the adaptive bypass's counts. */
const cachedStringBytesMax = 24;
const stringSlots = 256;
const lookupsPerCheck = 1024;
const bypassLookups = 16_384;

export class StringCache {
  private slots: string[] | undefined;
  private lookups = 0;
  private hits = 0;
  private bypass = 0;

  read(buf: Buffer, at: number, n: number): string {
    if (n > cachedStringBytesMax || this.bypass > 0) {
      if (this.bypass > 0) this.bypass--;
      return buf.toString('utf8', at, at + n);
    }
    const slots = (this.slots ??= new Array<string>(stringSlots).fill(''));
    const slot = hashBytes(buf, at, at + n) & (stringSlots - 1);
    const kept = slots[slot];
    if (++this.lookups === lookupsPerCheck) this.check();
    if (kept.length === n) {
      let i = 0;
      while (i < n && kept.charCodeAt(i) === buf[at + i]) i++;
      if (i === n) {
        this.hits++;
        return kept;
      }
    }
    const s = buf.toString('utf8', at, at + n);
    if (s.length === n) slots[slot] = s; // ASCII: as many chars as bytes
    return s;
  }

  private check(): void {
    if (this.hits * 2 < this.lookups) this.bypass = bypassLookups;
    this.lookups = 0;
    this.hits = 0;
  }
}

