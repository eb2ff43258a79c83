// The filter of keys an LMDB store has written: never "absent" for a key added, rarely "present"
// for one never added, for string and number keys, key groups, namespaces and states alike.
import { describe, expect, it } from 'vitest';
import { WrittenKeys } from '../../src/state/written-keys.ts';
import { limits } from '../../src/limits.ts';

describe('WrittenKeys', () => {
  it('has every key added, and few it was not given (at the default size, 700 K keys)', () => {
    const keys = new WrittenKeys(limits.stateWrittenKeysBits);
    const n = 350_000;
    for (let i = 0; i < n; i++) {
      keys.add('op/seen', i % 128, `bidder-${i}`, '');
      keys.add('op/__timers/event', i % 128, i * 1.5, String(i));
    }
    for (let i = 0; i < n; i++) {
      expect(keys.mayContain('op/seen', i % 128, `bidder-${i}`, '')).toBe(true);
      expect(keys.mayContain('op/__timers/event', i % 128, i * 1.5, String(i))).toBe(true);
    }
    let present = 0;
    const tries = 100_000;
    for (let i = 0; i < tries; i++) {
      if (keys.mayContain('op/seen', i % 128, `bidder-${n + i}`, '')) present++; // a new key
      if (keys.mayContain('op/seen', (i + 1) % 128, `bidder-${i}`, '')) present++; // another key group
      if (keys.mayContain('op/other', i % 128, `bidder-${i}`, '')) present++; // another state
      if (keys.mayContain('op/__timers/event', i % 128, i * 1.5 + 0.25, String(i))) present++; // another number
    }
    expect(present / (4 * tries)).toBeLessThan(0.03);
  });

  it('refuses a size that is not a power of two', () => {
    expect(() => new WrittenKeys(1000)).toThrow(/power of 2/);
  });
});
