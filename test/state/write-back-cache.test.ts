import { describe, expect, it } from 'vitest';
import { WriteBackCache } from '../../src/state/write-back-cache.ts';

const keysOf = (entries: Array<{ key: unknown }>) => entries.map((e) => e.key);

describe('write-back cache (CLOCK)', () => {
  it('takes the coldest entries in clock order, giving used ones a second chance', () => {
    const cache = new WriteBackCache(10);
    for (const key of [1, 2, 3, 4]) cache.set('s', 0, key, '', key, false);
    cache.lookup('s', 0, 1, '');
    cache.lookup('s', 0, 3, '');
    expect(keysOf(cache.coldest(2))).toEqual([2, 4]);
    // The hand passed 1 and 3 and cleared their bits: next time round they are taken.
    expect(keysOf(cache.coldest(2))).toEqual([1, 2]);
  });

  it('never returns an entry twice, even when asked for more than it holds', () => {
    const cache = new WriteBackCache(10);
    for (const key of [1, 2, 3]) {
      cache.set('s', 0, key, '', key, false);
      cache.lookup('s', 0, key, '');
    }
    const victims = cache.coldest(5);
    expect(new Set(keysOf(victims)).size).toBe(3);
    expect(victims).toHaveLength(3);
  });

  it('frees the slot of a removed entry for the next new one, and counts entries', () => {
    const cache = new WriteBackCache(2);
    for (const key of [1, 2, 3]) cache.set('s', 0, key, '', key, true);
    expect(cache.size).toBe(3);
    expect(cache.isOverCapacity()).toBe(true);
    const [coldest] = cache.coldest(1);
    expect(coldest.key).toBe(1);
    cache.remove(coldest);
    expect(cache.size).toBe(2);
    expect(cache.peek('s', 0, 1, '')).toBeUndefined();
    expect(cache.dirtyCount).toBe(2);
    cache.set('s', 0, 4, '', 4, false);
    expect(cache.peek('s', 0, 4, '')?.slot).toBe(coldest.slot);
    expect(keysOf(cache.coldest(3)).sort()).toEqual([2, 3, 4]);
  });

  it('removing a stale entry object leaves the newer entry at the same address alone', () => {
    const cache = new WriteBackCache(10);
    cache.set('s', 0, 'k', '', 'old', false);
    const old = cache.peek('s', 0, 'k', '')!;
    cache.remove(old);
    cache.set('s', 0, 'k', '', 'new', true);
    cache.remove(old);
    expect(cache.peek('s', 0, 'k', '')?.value).toBe('new');
    expect(cache.size).toBe(1);
    expect(cache.dirtyCount).toBe(1);
  });

  it('forgets written tombstones and keeps written values, clean', () => {
    const cache = new WriteBackCache(10);
    cache.set('s', 0, 'a', '', 1, true);
    cache.set('s', 0, 'b', '', undefined, true);
    cache.markWritten(cache.dirtyEntries());
    expect(cache.dirtyCount).toBe(0);
    expect(cache.peek('s', 0, 'a', '')?.dirty).toBe(false);
    expect(cache.peek('s', 0, 'b', '')).toBeUndefined();
    expect(cache.size).toBe(1);
    expect(keysOf(cache.coldest(2))).toEqual(['a']);
  });
});
