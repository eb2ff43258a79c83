// The number keys of q15's (day, bidder) and (day, auction) keyBys (calculations.ts idPair,
// bidding-stats.ts seenKey): distinct pairs give distinct keys, exactly, at the edges of the range
// too; outside it, or for a group without a number, the key is the text.
import { describe, expect, it } from 'vitest';
import { idPair } from '../../src/nexmark/calculations.ts';
import { seenKey } from '../../src/nexmark/bidding-stats.ts';

describe('idPair', () => {
  it('gives distinct safe integers for distinct pairs in range, at its edges too', () => {
    const highs = [0, 1, 2, 20_000, 2 ** 21 - 2, 2 ** 21 - 1];
    const lows = [0, 1, 2, 1_000_000, 2 ** 31, 2 ** 32 - 2, 2 ** 32 - 1];
    const seen = new Map<number, string>();
    for (const h of highs) {
      for (const l of lows) {
        const k = idPair(h, l)!;
        expect(Number.isSafeInteger(k)).toBe(true);
        expect(seen.get(k)).toBeUndefined();
        seen.set(k, `${h}/${l}`);
        expect([Math.floor(k / 2 ** 32), k % 2 ** 32]).toEqual([h, l]);
      }
    }
  });

  it('is undefined outside the range or for ids that are not non-negative integers', () => {
    for (const [h, l] of [[2 ** 21, 0], [0, 2 ** 32], [-1, 0], [0, -1], [1.5, 0], [0, 0.5], [NaN, 0], [0, Infinity]]) expect(idPair(h, l)).toBeUndefined();
  });
});

describe('seenKey', () => {
  it('is a number for a numbered group and an id in range, else the text group/id', () => {
    expect(seenKey({ group: '2015-07-15', groupNumber: 16_631, id: 1_000_123 })).toBe(16_631 * 2 ** 32 + 1_000_123);
    expect(seenKey({ group: 'Google/2015-07-15', groupNumber: -1, id: 1_000_123 })).toBe('Google/2015-07-15/1000123');
    expect(seenKey({ group: '2015-07-15', groupNumber: 16_631, id: 2 ** 40 })).toBe(`2015-07-15/${2 ** 40}`);
  });
});
