// The CEP operator's queue of keys with buffered records (src/cep/cep-due-keys.ts): keys come out
// when due, earliest first, ties by key group then key (as timers fire), and a key queued again
// earlier moves up instead of being queued twice.
import { describe, expect, it } from 'vitest';
import { DueKeys, type DueKey } from '../../src/cep/cep-due-keys.ts';
import { WeirError } from '../../src/errors.ts';

const dueKey = (key: string | number, keyGroup = 0): DueKey => ({ key, keyGroup, storedKey: key, dueMs: Number.POSITIVE_INFINITY, dueIndex: -1 });

function drain(q: DueKeys, watermarkMs: number): unknown[] {
  const out: unknown[] = [];
  for (let k = q.takeDue(watermarkMs); k !== undefined; k = q.takeDue(watermarkMs)) out.push(k.key);
  return out;
}

describe('CEP due keys', () => {
  it('gives the keys due at the watermark, earliest first, and keeps the others', () => {
    const q = new DueKeys();
    const [a, b, c] = [dueKey('a'), dueKey('b'), dueKey('c')];
    q.schedule(a, 30);
    q.schedule(b, 10);
    q.schedule(c, 20);
    expect(drain(q, 20)).toEqual(['b', 'c']);
    expect(q.size).toBe(1);
    expect(c.dueIndex).toBe(-1);
    expect(drain(q, 29)).toEqual([]);
    expect(drain(q, 30)).toEqual(['a']);
    expect(q.size).toBe(0);
  });

  it('moves a key up when it is queued earlier, and not down when later', () => {
    const q = new DueKeys();
    const [a, b] = [dueKey('a'), dueKey('b')];
    q.schedule(a, 50);
    q.schedule(b, 40);
    q.schedule(a, 10);
    q.schedule(b, 60); // already queued at 40
    expect(q.size).toBe(2);
    expect(drain(q, 100).map(String)).toEqual(['a', 'b']);
    expect(a.dueMs).toBe(10);
    expect(b.dueMs).toBe(40);
  });

  it('orders keys due at the same time by key group, then stored key (numbers before strings)', () => {
    const q = new DueKeys();
    for (const k of [dueKey('b', 1), dueKey('a', 1), dueKey(7, 1), dueKey('z', 0), dueKey(3, 2)]) q.schedule(k, 5);
    expect(drain(q, 5)).toEqual(['z', 7, 'a', 'b', 3]);
  });

  it('matches a sorted order on many random keys and times', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const q = new DueKeys();
    const keys = Array.from({ length: 500 }, (_, i) => dueKey(i, i % 7));
    const earliest = new Map<DueKey, number>();
    for (let i = 0; i < 3000; i++) {
      const k = keys[Math.floor(random() * keys.length)];
      const t = Math.floor(random() * 1000);
      q.schedule(k, t);
      earliest.set(k, Math.min(t, earliest.get(k) ?? Infinity));
    }
    const expected = [...earliest].sort(([x, s], [y, t]) => s - t || x.keyGroup - y.keyGroup || (x.key as number) - (y.key as number)).map(([k]) => k.key);
    expect([...drain(q, 499), ...drain(q, 999)]).toEqual(expected);
  });

  it('refuses a key due at no finite time', () => {
    expect(() => new DueKeys().schedule(dueKey('a'), Number.POSITIVE_INFINITY)).toThrow(WeirError);
  });
});
