import { afterEach, describe, expect, it } from 'vitest';
import type { TimeDomain } from '../../src/functions/contracts.ts';
import { WeirError } from '../../src/errors.ts';
import { limits } from '../../src/limits.ts';
import { HeapStore } from '../../src/state/heap-store.ts';
import { Timers } from '../../src/state/timers.ts';
import { seededRandom } from '../../src/util/random.ts';
import { backends, closeAll } from './backends.ts';

afterEach(closeAll);

type Fired = [timestampMs: number, keyGroup: number, key: unknown];

function fireAll(timers: Timers, domain: TimeDomain, upToMs: number): Fired[] {
  const fired: Fired[] = [];
  const count = timers.advance(domain, upToMs, (t, kg, key) => void fired.push([t, kg, key]));
  expect(count).toBe(fired.length);
  return fired;
}

describe.each(backends)('timers on $name', (backend) => {
  it('fire in timestamp order up to the given time, and only once', () => {
    const timers = new Timers(backend.open().store, 'op5');
    const random = seededRandom(7);
    const registered: Array<[number, number, string]> = [];
    for (let i = 0; i < 500; i++) {
      const t = Math.floor(random() * 10_000);
      const key = `k${i}`;
      timers.register('event-time', i % 16, key, t);
      registered.push([t, i % 16, key]);
    }
    expect(timers.size('event-time')).toBe(500);
    expect(timers.nextTimestamp('event-time')).toBe(Math.min(...registered.map((r) => r[0])));
    const firstHalf = fireAll(timers, 'event-time', 4999);
    const rest = fireAll(timers, 'event-time', Infinity);
    const timestamps = [...firstHalf, ...rest].map((f) => f[0]);
    expect(timestamps).toEqual([...timestamps].sort((a, b) => a - b));
    expect(firstHalf.every((f) => f[0] <= 4999) && rest.every((f) => f[0] > 4999)).toBe(true);
    expect(new Set([...firstHalf, ...rest].map((f) => f[2])).size).toBe(500);
    expect(fireAll(timers, 'event-time', Infinity)).toEqual([]);
    expect(timers.size('event-time')).toBe(0);
    expect(timers.nextTimestamp('event-time')).toBe(Infinity);
  });

  it('orders ties by key group then key, whatever the registration order', () => {
    const orders = [
      [[2, 'b'], [1, 'z'], [2, 'a'], [1, 5], [2, 10]],
      [[2, 10], [2, 'a'], [1, 5], [2, 'b'], [1, 'z']],
    ] as Array<Array<[number, string | number]>>;
    const results = orders.map((order) => {
      const timers = new Timers(backend.open().store, 'op5');
      for (const [kg, key] of order) timers.register('processing-time', kg, key, 100);
      return fireAll(timers, 'processing-time', 100);
    });
    expect(results[0]).toEqual([
      [100, 1, 5],
      [100, 1, 'z'],
      [100, 2, 10],
      [100, 2, 'a'],
      [100, 2, 'b'],
    ]);
    expect(results[1]).toEqual(results[0]);
  });

  it('is idempotent per key, timestamp and domain; domains are separate', () => {
    const timers = new Timers(backend.open().store, 'op5');
    timers.register('event-time', 3, 'k', 50);
    timers.register('event-time', 3, 'k', 50);
    timers.register('event-time', 3, 'k', 60);
    timers.register('processing-time', 3, 'k', 50);
    expect(timers.size('event-time')).toBe(2);
    expect(timers.size('processing-time')).toBe(1);
    expect(fireAll(timers, 'event-time', 100)).toEqual([
      [50, 3, 'k'],
      [60, 3, 'k'],
    ]);
    expect(timers.size('processing-time')).toBe(1);
  });

  it('reach the store at flush: only timers live at the flush are stored, whatever happened between', () => {
    const { store } = backend.open();
    const timers = new Timers(store, 'op7');
    const stored = () => [...store.entries('op7/__timers/event-time')].map((e) => [e.namespace, e.key, e.value]);
    timers.register('event-time', 0, 'gone', 10); // registered and fired before any flush: never stored
    timers.register('event-time', 0, 'kept', 20);
    timers.register('event-time', 0, 'again', 30);
    fireAll(timers, 'event-time', 10);
    expect(stored()).toEqual([]);
    store.flush();
    expect(stored()).toEqual([
      ['30', 'again', 'again'],
      ['20', 'kept', 'kept'],
    ]);
    // A stored timer deleted, registered again and deleted again between two flushes is gone from the store.
    timers.delete('event-time', 0, 'again', 30);
    timers.register('event-time', 0, 'again', 30);
    timers.delete('event-time', 0, 'again', 30);
    // A stored timer deleted and registered again stays.
    timers.delete('event-time', 0, 'kept', 20);
    timers.register('event-time', 0, 'kept', 20);
    store.flush();
    expect(stored()).toEqual([['20', 'kept', 'kept']]);
    fireAll(timers, 'event-time', 100);
    store.flush();
    expect(stored()).toEqual([]);
  });

  it('deleted timers do not fire', () => {
    const timers = new Timers(backend.open().store, 'op5');
    for (let t = 0; t < 2000; t++) timers.register('event-time', 0, t % 7, t);
    for (let t = 0; t < 2000; t++) if (t % 3 !== 0) timers.delete('event-time', 0, t % 7, t);
    timers.delete('event-time', 0, 'never registered', 5);
    expect(timers.size('event-time')).toBe(667);
    expect(timers.nextTimestamp('event-time')).toBe(0);
    timers.delete('event-time', 0, 0, 0);
    expect(timers.nextTimestamp('event-time')).toBe(3);
    const fired = fireAll(timers, 'event-time', 10_000);
    expect(fired.map((f) => f[0])).toEqual(Array.from({ length: 666 }, (_, i) => 3 * (i + 1)));
  });

  it('fires timers registered while firing, when they are due', () => {
    const timers = new Timers(backend.open().store, 'op5');
    timers.register('event-time', 1, 'a', 10);
    const fired: Fired[] = [];
    let again = true;
    const count = timers.advance('event-time', 30, (t, kg, key) => {
      fired.push([t, kg, key]);
      if (t < 30) timers.register('event-time', kg, key, t + 10); // due within this advance
      if (t === 30 && again) {
        again = false;
        timers.register('event-time', kg, key, 30); // the same timer again: due too
        timers.register('event-time', kg, 'later', 31); // not due
      }
      if (fired.length > 10) throw new Error('runaway');
    });
    expect(fired).toEqual([
      [10, 1, 'a'],
      [20, 1, 'a'],
      [30, 1, 'a'],
      [30, 1, 'a'],
    ]);
    expect(count).toBe(4);
    expect(timers.nextTimestamp('event-time')).toBe(31);
  });

  it('skips a timer of the same time deleted by an earlier one, also when the deletes rebuild the queue', () => {
    const timers = new Timers(backend.open().store, 'op5');
    const keys = 3000;
    for (let k = 0; k < keys; k++) {
      timers.register('event-time', 0, k, 100);
      timers.register('event-time', 0, k, 300);
    }
    timers.register('event-time', 0, 'later', 200);
    const fired: unknown[] = [];
    timers.advance('event-time', 150, (_t, _kg, key) => {
      fired.push(key);
      if (key !== 0) return;
      for (let k = 1; k <= 2000; k++) timers.delete('event-time', 0, k, 100);
      // Now the queue holds more stale timers than live ones: it is rebuilt, with the live timers
      // at 100 that have not fired yet put back in it. They must fire once.
      for (let k = 0; k < keys; k++) timers.delete('event-time', 0, k, 300);
    });
    expect(fired).toEqual([0, ...Array.from({ length: keys - 2001 }, (_, i) => 2001 + i)]);
    expect(timers.size('event-time')).toBe(1);
    expect(timers.nextTimestamp('event-time')).toBe(200);
    expect(fireAll(timers, 'event-time', Infinity)).toEqual([[200, 0, 'later']]);
  });

  it('hands back the original key, not its stored form', () => {
    const timers = new Timers(backend.open().store, 'op5');
    const key = { user: 'u1', region: 'eu' };
    timers.register('event-time', 2, key, 5);
    timers.register('event-time', 2, { user: 'u1', region: 'eu' }, 5); // an equal key: the same timer
    timers.register('event-time', 2, 12n, 6);
    expect(fireAll(timers, 'event-time', 10)).toEqual([
      [5, 2, { user: 'u1', region: 'eu' }],
      [6, 2, 12n],
    ]);
  });
});

describe.each(backends.filter((b) => b.durable))('timers on $name after a restart', (backend) => {
  it('keep a key with many timers, and keys whose stored forms clash (5n and "5n"), apart', () => {
    const { store } = backend.open();
    const timers = new Timers(store, 'op8');
    for (let t = 0; t < 300; t++) timers.register('event-time', 3, 'hot', t);
    timers.register('event-time', 1, 5n, 100);
    timers.register('event-time', 2, '5n', 100);
    timers.register('event-time', 2, '5n', 100); // idempotent
    expect(timers.size('event-time')).toBe(302);
    for (let t = 0; t < 300; t += 2) timers.delete('event-time', 3, 'hot', t);
    timers.delete('event-time', 1, 5n, 100);
    store.flush();
    expect([...store.entries('op8/__timers/event-time')].length).toBe(151);
    const fired = fireAll(timers, 'event-time', Infinity);
    expect(fired.filter((f) => f[2] === 'hot').map((f) => f[0])).toEqual(Array.from({ length: 150 }, (_, i) => 2 * i + 1));
    expect(fired.filter((f) => f[2] !== 'hot')).toEqual([[100, 2, '5n']]);
    store.flush();
    expect([...store.entries('op8/__timers/event-time')]).toEqual([]);
  });

  it('store exactly the live timers at every flush, over random registers, deletes, fires and flushes', () => {
    const { store } = backend.open();
    const timers = new Timers(store, 'op9');
    const random = seededRandom(11);
    const live = new Set<string>();
    let watermark = 0;
    for (let step = 0; step < 3000; step++) {
      const r = random();
      const key = `k${Math.floor(random() * 20)}`;
      const t = watermark + 1 + Math.floor(random() * 30);
      if (r < 0.5) {
        timers.register('event-time', key.length, key, t);
        live.add(`${t}|${key}`);
      } else if (r < 0.7) {
        timers.delete('event-time', key.length, key, t);
        live.delete(`${t}|${key}`);
      } else if (r < 0.95) {
        watermark += Math.floor(random() * 5);
        for (const [ts, , k] of fireAll(timers, 'event-time', watermark)) live.delete(`${ts}|${k}`);
      } else {
        store.flush();
        expect(new Set([...store.entries('op9/__timers/event-time')].map((e) => `${e.namespace}|${e.key}`)), `step ${step}`).toEqual(live);
      }
      expect(timers.size('event-time')).toBe(live.size);
    }
  });

  it('are loaded from the store, deleted and fired ones excluded', () => {
    const opened = backend.open();
    const timers = new Timers(opened.store, 'op5');
    for (let i = 0; i < 100; i++) {
      timers.register('event-time', i % 4, `k${i}`, 1000 + i);
      timers.register('processing-time', i % 4, { id: i }, 5000 - i);
    }
    timers.delete('event-time', 1, 'k1', 1001);
    fireAll(timers, 'event-time', 1009); // 1000…1009 without 1001
    new Timers(opened.store, 'op6').register('event-time', 0, 'another operator', 1);
    const store = opened.reopen();
    const reloaded = new Timers(store, 'op5');
    expect(reloaded.size('event-time')).toBe(90);
    expect(reloaded.size('processing-time')).toBe(100);
    expect(reloaded.nextTimestamp('event-time')).toBe(1010);
    expect(fireAll(reloaded, 'event-time', Infinity).map((f) => f[2])).toEqual(Array.from({ length: 90 }, (_, i) => `k${i + 10}`));
    const processing = fireAll(reloaded, 'processing-time', 4950);
    expect(processing[0]).toEqual([4901, 3, { id: 99 }]);
    expect(processing.length).toBe(50);
  });
});

describe('timers limit', () => {
  it('refuses more than limits.timersMax timers per operator with WEIR_STATE', () => {
    const mutableLimits = limits as { timersMax: number };
    const saved = mutableLimits.timersMax;
    mutableLimits.timersMax = 10;
    try {
      const timers = new Timers(new HeapStore(), 'op5', 'sessionize');
      for (let i = 0; i < 6; i++) timers.register('event-time', 0, i, 1);
      for (let i = 0; i < 4; i++) timers.register('processing-time', 0, i, 1);
      timers.register('event-time', 0, 0, 1); // already there: fine
      let caught: unknown;
      try {
        timers.register('processing-time', 0, 'one-too-many', 2);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(WeirError);
      expect((caught as WeirError).code).toBe('WEIR_STATE');
      expect((caught as WeirError).message).toMatch(/operator "sessionize".*key "one-too-many".*timersMax/);
      timers.delete('event-time', 0, 0, 1);
      timers.register('processing-time', 0, 'one-too-many', 2); // room again
      expect(timers.size('processing-time')).toBe(5);
    } finally {
      mutableLimits.timersMax = saved;
    }
  });
});
