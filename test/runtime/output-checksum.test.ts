import { describe, expect, it } from 'vitest';
import { OutputChecksum } from '../../src/runtime/instrumentation/checksum.ts';
import { hashString } from '../../src/util/hash.ts';

describe('output checksum', () => {
  it('sums the two FNV-1a lanes of each record\'s JSON, whatever the order and the worker', () => {
    const records = [{ id: 'a', n: 1, features: [0.5, -2, 1e-3] }, 'text with ünïcödé and 😀', 42, null, [1, [2, { x: 'y' }]], undefined];
    let low = 0;
    let high = 0;
    for (const r of records) {
      const text = JSON.stringify(r) ?? 'undefined';
      low = (low + hashString(text)) >>> 0;
      high = (high + hashString(text, 0x5bd1e995, 0x0100019d)) >>> 0;
    }
    const one = new OutputChecksum();
    for (const r of records) one.add(r);
    expect(one.lanes()).toEqual([low, high, records.length]);
    // Split across two workers, in another order: the same.
    const a = new OutputChecksum();
    const b = new OutputChecksum();
    [...records].reverse().forEach((r, i) => (i % 2 === 0 ? a : b).add(r));
    expect(OutputChecksum.combine([a.lanes(), b.lanes()])).toBe(OutputChecksum.combine([one.lanes()]));
  });
});
