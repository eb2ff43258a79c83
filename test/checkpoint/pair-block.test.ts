// Pair blocks, the bytes of LMDB snapshots' frames: layout, per-state counts, and damage.
import { Unpackr } from 'msgpackr';
import { writeKey } from 'ordered-binary';
import { describe, expect, it } from 'vitest';
import { decodePair, PairBlockBuilder, PairCursor, StateCounts, TupleEncoder } from '../../src/snapshot/pair-block.ts';
import type { EntryTuple } from '../../src/snapshot/state-snapshot.ts';

function keyBytes(key: Array<string | number>): Buffer {
  const b = Buffer.alloc(4096);
  return b.subarray(0, writeKey(key, b, 0));
}

describe('pair blocks', () => {
  it('round-trip pairs and deleted keys, values of any length', () => {
    const entries: EntryTuple[] = [
      ['op/n', 0, 1, '', 1],
      ['op/n', 127, 'alice', 'w-1', { total: 2.5, items: ['x'] }],
      ['op/s', 3, -7, '', 'v'.repeat(100_000)],
      ['op/s', 4, 8, '', new Map([[1, 'a']])],
    ];
    const block = new TupleEncoder().pairs(entries);
    expect(block.count).toBe(4);
    const cursor = new PairCursor(block.bytes, true);
    const decoded: EntryTuple[] = [];
    while (cursor.next()) decoded.push(decodePair(cursor, new Unpackr()));
    expect(decoded).toEqual(entries);

    const deletes = new TupleEncoder().deletedKeys(entries.map(([s, g, k, n]) => [s, g, k, n]));
    const keys = new PairCursor(deletes.bytes, false);
    let n = 0;
    while (keys.next()) expect(Buffer.from(keys.key.subarray(0, keys.keyBytes))).toEqual(keyBytes(entries[n++].slice(0, 4) as Array<string | number>));
    expect(n).toBe(4);
  });

  it('a builder starts afresh after take(), and refuses an empty key', () => {
    const builder = new PairBlockBuilder(8);
    const key = keyBytes(['op/n', 1, 1, '']);
    for (let i = 0; i < 100; i++) builder.addPair(key, 0, key.length, Buffer.from([i]), 0, 1);
    expect(builder.take().count).toBe(100);
    const empty = builder.take();
    expect([empty.count, empty.bytes.length]).toEqual([0, 0]);
    expect(() => builder.addKey(key, 0, 0)).toThrow(/0 bytes/);
  });

  it('writes each key as what it shares with the previous one and the rest', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => keyBytes(['checkpoint-bench/count#3/n', i >> 3, i, '']));
    const builder = new PairBlockBuilder();
    for (const key of keys) builder.addPair(key, 0, key.length, Buffer.from([1]), 0, 1);
    const block = builder.take();
    const whole = keys.reduce((sum, key) => sum + key.length, 0);
    expect(block.bytes.length).toBeLessThan(whole / 3);
    const cursor = new PairCursor(block.bytes, true);
    for (const key of keys) {
      expect(cursor.next()).toBe(true);
      expect(Buffer.from(cursor.key.subarray(0, cursor.keyBytes))).toEqual(key);
    }
    expect(cursor.next()).toBe(false);
    // The first key of a block shares nothing: a block claiming it does is damaged.
    expect(() => new PairCursor(Uint8Array.from([3, 1, 65, 1, 0]), true).next()).toThrow(/shares more than the previous key/);
  });

  it('a cursor refuses lengths that run past the block', () => {
    const block = new TupleEncoder().pairs([['op/n', 0, 1, '', 'value']]);
    for (const cut of [1, 5, block.bytes.length - 1]) {
      const cursor = new PairCursor(block.bytes.subarray(0, cut), true);
      expect(() => cursor.next()).toThrow(/past the end/);
    }
  });

  it('counts keys per state, states sharing a prefix, starting with a control character, or holding U+0000', () => {
    const counts = new StateCounts();
    const states = ['op/a', 'op/ab', 'op/a', '\u0001op', 'a\u0000b', 'a\u0000c', 'a\u0000b', 'op/ab'];
    for (const [i, state] of states.entries()) {
      const key = keyBytes([state, i, i % 2 ? `k${i}` : i, '']);
      counts.add(key, 0, key.length);
    }
    expect(counts.counts).toEqual({ 'op/a': 2, 'op/ab': 2, '\u0001op': 1, 'a\u0000b': 2, 'a\u0000c': 1 });
    const notAKey = keyBytes(['op/a', 1]);
    expect(() => counts.add(notAKey, 0, notAKey.length)).toThrow(/not \[state, keyGroup, key, namespace\]/);
  });
});
