import { Packr } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import type { AggregateFunction } from '../../src/functions/contracts.ts';
import { WeirError } from '../../src/errors.ts';
import { KeyedState } from '../../src/state/keyed-state.ts';
import { mapStatePairs } from '../../src/state/map-state.ts';
import { LmdbStore } from '../../src/state/lmdb-store.ts';
import type { StateStore } from '../../src/state/store.ts';
import { tempDir } from '../helpers.ts';
import { backends, closeAll, expectStateError } from './backends.ts';

afterEach(closeAll);

/** A processing-time clock the test moves by hand. */
function manualClock(startMs = 1_000_000) {
  let nowMs = startMs;
  return { now: () => nowMs, advance: (ms: number) => void (nowMs += ms) };
}

const keyGroupOf = (key: unknown) => String(key).length % 4;

function keyed(store: StateStore, clock = manualClock()) {
  const state = new KeyedState(store, 'op3', 'enrich-orders', clock.now);
  const at = (key: unknown) => {
    state.setCurrentKey(key, keyGroupOf(key));
    return state;
  };
  return { state, at, clock };
}


const averageOf: AggregateFunction<number, { sum: number; count: number }, number> = {
  createAccumulator: () => ({ sum: 0, count: 0 }),
  // Changes the accumulator in place and returns it, as Flink's aggregate functions often do.
  add: (value, acc) => {
    acc.sum += value;
    acc.count++;
    return acc;
  },
  getResult: (acc) => acc.sum / acc.count,
};

describe.each(backends)('keyed state on $name', (backend) => {
  it('value state is per key and per namespace', () => {
    const { state, at } = keyed(backend.open().store);
    const v = state.valueState<{ total: number }>('total');
    at('alice');
    expect(v.value()).toBeUndefined();
    v.update({ total: 3 });
    at('bob');
    expect(v.value()).toBeUndefined();
    v.update({ total: 9 });
    at('alice');
    expect(v.value()).toEqual({ total: 3 });
    state.setNamespace('window-1');
    expect(v.value()).toBeUndefined();
    v.update({ total: 100 });
    state.setNamespace('');
    expect(v.value()).toEqual({ total: 3 });
    v.update(null as unknown as { total: number }); // null is a value
    expect(v.value()).toBeNull();
    v.clear();
    expect(v.value()).toBeUndefined();
    at({ region: 'eu', id: 7 }); // object keys are keyed by their JSON form
    v.update({ total: 1 });
    at({ region: 'eu', id: 7 });
    expect(v.value()).toEqual({ total: 1 });
  });

  it('list state adds, replaces and returns copies', () => {
    const { state, at } = keyed(backend.open().store);
    const l = state.listState<string>('events');
    at('k1');
    expect(l.get()).toEqual([]);
    l.add('a');
    l.addAll(['b', 'c']);
    l.addAll([]);
    const copy = l.get();
    copy.push('not stored');
    expect(l.get()).toEqual(['a', 'b', 'c']);
    at('k2');
    l.add('x');
    at('k1');
    l.update(['z']);
    expect(l.get()).toEqual(['z']);
    l.update([]);
    expect(l.get()).toEqual([]);
    at('k2');
    expect(l.get()).toEqual(['x']);
    l.clear();
    expect(l.get()).toEqual([]);
  });

  it('list and map state change their stored array in place and put it back: a long one builds in linear time', () => {
    const store = backend.open().store;
    const { state, at } = keyed(store);
    const l = state.listState<number>('xs');
    const m = state.mapState<number, number>('ms');
    at('k');
    // Copying the array per add took O(n²): 50 K adds then copied 1.25 G elements. Without a
    // cache every add writes the whole array through to LMDB, as one value per key must.
    const n = backend.name === 'lmdb without cache' ? 1_000 : 50_000;
    for (let i = 0; i < n; i++) {
      l.add(i);
      m.put(i, i * 2);
    }
    at('other');
    l.add(-1);
    at('k');
    const got = l.get();
    expect(got.length).toBe(n);
    expect(got[n - 1]).toBe(n - 1);
    got.push(99); // a copy
    expect(l.get().length).toBe(n);
    expect(m.size()).toBe(n);
    expect(m.get(n - 1)).toBe(2 * (n - 1));
    store.flush();
    expect((store.get('op3/xs', keyGroupOf('k'), 'k', '') as number[]).length).toBe(n);
    expect((mapStatePairs(store.get('op3/ms', keyGroupOf('k'), 'k', '')) as unknown[]).length).toBe(n);
  });

  it('map state: put, get, remove, contains, keys, values, entries, size', () => {
    const { state, at } = keyed(backend.open().store);
    const m = state.mapState<string | { sku: number }, number>('counts');
    at('shop-1');
    expect(m.isEmpty()).toBe(true);
    expect(m.get('apples')).toBeUndefined();
    m.put('apples', 1);
    m.put('pears', 2);
    m.put({ sku: 7 }, 70);
    m.put('apples', 3);
    m.putAll([
      ['plums', 4],
      ['pears', 5],
    ]);
    expect(m.get('apples')).toBe(3);
    expect(m.get({ sku: 7 })).toBe(70); // an equal object key finds the entry
    expect(m.contains('pears')).toBe(true);
    expect(m.contains('kiwis')).toBe(false);
    expect(m.size()).toBe(4);
    expect(m.keys()).toEqual(['apples', 'pears', { sku: 7 }, 'plums']);
    expect(m.values()).toEqual([3, 5, 70, 4]);
    const entries = m.entries();
    entries[0][1] = 999; // a copy
    expect(m.get('apples')).toBe(3);
    m.remove('pears');
    m.remove('not there');
    expect(m.entries()).toEqual([
      ['apples', 3],
      [{ sku: 7 }, 70],
      ['plums', 4],
    ]);
    // The entries after a removed one moved: they are still found where they are now.
    expect(m.get('plums')).toBe(4);
    expect(m.get({ sku: 7 })).toBe(70);
    m.put('plums', 6);
    m.remove('plums'); // the last
    m.put('kiwis', 8);
    expect(m.entries()).toEqual([
      ['apples', 3],
      [{ sku: 7 }, 70],
      ['kiwis', 8],
    ]);
    // A putAll with one value that cannot be stored changes nothing.
    expect(() => m.putAll([['figs', 9], ['dates', (() => 1) as unknown as number]])).toThrow(/\[4\]/);
    expect(m.size()).toBe(3);
    expect(m.contains('figs')).toBe(false);
    at('shop-2');
    expect(m.size()).toBe(0);
    m.put('apples', 1);
    at('shop-1');
    m.remove('apples');
    m.remove({ sku: 7 });
    m.remove('kiwis');
    expect(m.isEmpty()).toBe(true);
    at('shop-2');
    expect(m.get('apples')).toBe(1);
    m.clear();
    expect(m.entries()).toEqual([]);
  });

  it('map state gives keys back as put, and is stored as its pairs in first-put order', () => {
    const opened = backend.open();
    const { state, at } = keyed(opened.store);
    const m = state.mapState<unknown, string>('keys');
    at('k');
    m.put({ sku: 7 }, 'object');
    m.put(5n, 'bigint');
    m.put(Number.NaN, 'not a number');
    m.put(2, 'two');
    m.put(1, 'one');
    m.put(2, 'two again'); // keeps its place
    const pairs = [
      [{ sku: 7 }, 'object'],
      [5n, 'bigint'],
      [Number.NaN, 'not a number'],
      [2, 'two again'],
      [1, 'one'],
    ];
    expect(m.entries()).toEqual(pairs);
    expect(m.get(Number.NaN)).toBe('not a number');
    expect(m.get(5n)).toBe('bigint');
    // A write-back or a snapshot encodes the pairs, as map state was always stored.
    const stored = opened.store.get('op3/keys', keyGroupOf('k'), 'k', '');
    expect(new Packr().pack(stored)).toEqual(new Packr().pack(pairs));
    expect(mapStatePairs(stored)).toEqual(pairs);
    // Encoded again after an entry is added, one is changed, one removed (toJSON keeps the pairs it made while entries are only added).
    const encodesAs = (expected: unknown[]) => {
      const now = opened.store.get('op3/keys', keyGroupOf('k'), 'k', '');
      expect(new Packr().pack(now)).toEqual(new Packr().pack(expected));
      expect(m.entries()).toEqual(expected);
    };
    m.put('added', 'later');
    encodesAs([...pairs, ['added', 'later']]);
    m.put(2, 'changed');
    encodesAs([pairs[0], pairs[1], pairs[2], [2, 'changed'], pairs[4], ['added', 'later']]);
    m.remove(5n);
    encodesAs([pairs[0], pairs[2], [2, 'changed'], pairs[4], ['added', 'later']]);
    m.remove('added');
    m.put('added', 'again');
    encodesAs([pairs[0], pairs[2], [2, 'changed'], pairs[4], ['added', 'again']]);
    m.remove('added');
    encodesAs([pairs[0], pairs[2], [2, 'changed'], pairs[4]]);
    m.put(2, 'two again');
    m.put(5n, 'bigint');
    m.put('added', 'last');
    if (!backend.durable) return;
    // Read back from its encoded pairs, then changed.
    const again = keyed(opened.reopen());
    const decoded = again.state.mapState<unknown, string>('keys');
    again.at('k');
    expect(decoded.get({ sku: 7 })).toBe('object');
    expect(decoded.get(2)).toBe('two again');
    decoded.remove(1);
    decoded.put('new', 'last');
    expect(decoded.keys()).toEqual([{ sku: 7 }, Number.NaN, 2, expect.anything(), 'added', 'new']);
  });

  it('reducing state folds added values', () => {
    const { state, at } = keyed(backend.open().store);
    const r = state.reducingState<number>('max', (a, b) => Math.max(a, b));
    at('k');
    expect(r.get()).toBeUndefined();
    for (const x of [3, 9, 2]) r.add(x);
    expect(r.get()).toBe(9);
    at('other');
    r.add(-1);
    expect(r.get()).toBe(-1);
    at('k');
    r.clear();
    expect(r.get()).toBeUndefined();
  });

  it('aggregating state keeps an accumulator that the aggregate may change in place', () => {
    const store = backend.open().store;
    const { state, at } = keyed(store);
    const avg = state.aggregatingState('avg', averageOf);
    // Many keys, so the small-cache backend writes accumulators back and reads them again.
    for (let round = 0; round < 5; round++) for (let k = 0; k < 40; k++) {
      at(`user-${k}`);
      avg.add(k + round);
    }
    store.flush();
    for (let k = 0; k < 40; k++) {
      at(`user-${k}`);
      expect(avg.get()).toBe(k + 2);
    }
    at('nobody');
    expect(avg.get()).toBeUndefined();
  });

  it('hands out one handle per name, and refuses the same name with another kind', () => {
    const { state, at } = keyed(backend.open().store);
    at('carol');
    expect(state.valueState('x')).toBe(state.valueState('x'));
    const err = expectStateError(() => state.listState('x'), 'operator "enrich-orders"', 'state "x"', 'list', 'value', 'key "carol"');
    expect(err.operator).toBe('enrich-orders');
    expectStateError(() => state.mapState('x'), 'enrich-orders', '"x"');
    expectStateError(() => state.valueState('x', { ttl: { ttlMs: 5 } }), 'different TTL');
  });

  it('wraps a value the store refuses, naming operator, state and key', () => {
    const { state, at } = keyed(backend.open().store);
    const v = state.valueState<unknown>('handlers');
    at('dave');
    v.update({ ok: 1 });
    const err = expectStateError(() => v.update({ onClick: () => 0 }), 'operator "enrich-orders"', 'state "handlers"', 'key "dave"', 'function');
    expect(err.cause).toBeInstanceOf(WeirError);
    expect(v.value()).toEqual({ ok: 1 });
  });

  it('list add and map put check what they add, naming its place, and leave the stored value as it was', () => {
    const { state, at } = keyed(backend.open().store);
    const list = state.listState<unknown>('waiting');
    const map = state.mapState<string, unknown>('by-id');
    at('erin');
    list.addAll([{ id: 1 }, { id: 2 }]);
    map.put('a', { id: 1 });
    expectStateError(() => list.add({ id: 3, onDone: () => 0 }), 'operator "enrich-orders"', 'state "waiting"', 'key "erin"', 'a function at [2].onDone');
    expectStateError(() => list.addAll([{ id: 3 }, { id: Symbol('4') }]), 'state "waiting"', 'a symbol at [3].id');
    expectStateError(() => map.put('b', { at: new Float64Array(1) }), 'state "by-id"', 'a Float64Array at [1][1].at');
    expectStateError(() => map.put('a', 2n ** 80n), 'state "by-id"', 'the bigint at [0][1]');
    expect(list.get()).toEqual([{ id: 1 }, { id: 2 }]);
    expect(map.entries()).toEqual([['a', { id: 1 }]]);
    // Elements that can be stored still go in, undefined among them (as before, inside an array).
    list.add(undefined);
    map.put('b', [1, 'x']);
    expect(list.get()).toEqual([{ id: 1 }, { id: 2 }, undefined]);
    expect(map.get('b')).toEqual([1, 'x']);
  });

  it('TTL: an expired value is never returned, and reading it deletes it', () => {
    const store = backend.open().store;
    const { state, at, clock } = keyed(store);
    const v = state.valueState<string>('session', { ttl: { ttlMs: 1000 } });
    const l = state.listState<number>('clicks', { ttl: { ttlMs: 1000 } });
    const m = state.mapState<string, number>('seen', { ttl: { ttlMs: 1000 } });
    const r = state.reducingState<number>('sum', (a, b) => a + b, { ttl: { ttlMs: 1000 } });
    const a = state.aggregatingState('avg', averageOf, { ttl: { ttlMs: 1000 } });
    at('erin');
    v.update('s1');
    l.add(1);
    m.put('p', 1);
    r.add(5);
    a.add(4);
    clock.advance(999);
    expect([v.value(), l.get(), m.get('p'), r.get(), a.get()]).toEqual(['s1', [1], 1, 5, 4]);
    // reads do not refresh by default (create-and-write)
    clock.advance(1);
    expect([v.value(), l.get(), m.get('p'), m.size(), r.get(), a.get()]).toEqual([undefined, [], undefined, 0, undefined, undefined]);
    expect(store.get('op3/session', keyGroupOf('erin'), 'erin', '')).toBeUndefined(); // deleted by the read
    // a write refreshes
    r.add(1);
    clock.advance(600);
    r.add(2);
    clock.advance(600);
    expect(r.get()).toBe(3);
    clock.advance(400);
    expect(r.get()).toBeUndefined();
  });

  it('TTL with read-and-write: reads refresh the clock', () => {
    const { state, at, clock } = keyed(backend.open().store);
    const v = state.valueState<number>('last', { ttl: { ttlMs: 100, updateOn: 'read-and-write' } });
    at('k');
    v.update(7);
    for (let i = 0; i < 10; i++) {
      clock.advance(99);
      expect(v.value()).toBe(7);
    }
    clock.advance(100);
    expect(v.value()).toBeUndefined();
  });

  it('cleanupExpired removes the expired entries of keys never touched again, resuming where it stopped', () => {
    const store = backend.open().store;
    const { state, at, clock } = keyed(store);
    const v = state.valueState<number>('v', { ttl: { ttlMs: 1000 } });
    const m = state.mapState<string, number>('m', { ttl: { ttlMs: 1000 } });
    const plain = state.valueState<number>('no-ttl');
    for (let k = 0; k < 300; k++) {
      at(`old-${k}`);
      v.update(k);
      m.put('x', k);
      plain.update(k);
    }
    clock.advance(500);
    for (let k = 0; k < 50; k++) {
      at(`new-${k}`);
      v.update(k);
    }
    store.flush();
    clock.advance(600); // the old keys expired, the new ones not
    const countOf = (id: string) => [...store.entries(id)].length;
    expect(countOf('op3/v')).toBe(350);
    expect(state.cleanupExpired(0)).toBe(0);
    let removed = 0;
    let calls = 0;
    while (removed < 600) {
      const got = state.cleanupExpired(64);
      expect(got).toBeLessThanOrEqual(64);
      removed += got;
      calls++;
      expect(calls).toBeLessThan(50);
    }
    expect(removed).toBe(600);
    expect(state.cleanupExpired(10_000)).toBe(0); // a full round finds nothing more
    expect(countOf('op3/v')).toBe(50);
    expect(countOf('op3/m')).toBe(0);
    expect(countOf('op3/no-ttl')).toBe(300); // states without TTL are never touched
    at('new-3');
    expect(v.value()).toBe(3);
    const { cachedEntries } = store.stats();
    expect(cachedEntries).toBeLessThanOrEqual(50 + 300 + 64);
  });
});

describe('keyed state on LMDB: errors and the size of the store', () => {
  const dirs: Array<{ remove(): void }> = [];
  const stores: LmdbStore[] = [];
  afterEach(() => {
    for (const s of stores.splice(0)) {
      try {
        s.close();
      } catch {
        /* map full on purpose */
      }
    }
    for (const d of dirs.splice(0)) d.remove();
  });
  const open = (opts: { cacheEntriesMax: number; mapSizeBytes?: number }) => {
    const dir = tempDir('weir-keyed-');
    dirs.push(dir);
    const store = new LmdbStore({ path: `${dir.path}/w`, operatorNameOf: (s) => (s.startsWith('op3/') ? 'enrich-orders' : s), ...opts });
    stores.push(store);
    return store;
  };

  it('a state that outgrows the map fails with WEIR_STATE naming the operator, state and key', () => {
    const { state, at } = keyed(open({ cacheEntriesMax: 0, mapSizeBytes: 64 * 1024 }));
    const l = state.listState<string>('history');
    let i = 0;
    const err = expectStateError(() => {
      for (; i < 100_000; i++) {
        at(`customer-${i % 10}`);
        l.add('event '.repeat(10));
      }
    }, 'operator "enrich-orders"', 'state "history"', 'map full');
    expect(err.message).toContain(`key "customer-${i % 10}"`);
    expect(err.cause).toBeInstanceOf(WeirError);
  });

  it('cleanupExpired keeps the store bounded while keys keep arriving once each', () => {
    const store = open({ cacheEntriesMax: 1000 });
    const { state, at, clock } = keyed(store);
    const v = state.valueState<{ seen: number }>('first-seen', { ttl: { ttlMs: 2000 } });
    let peakLive = 0;
    let diskBytesHalfway = 0;
    for (let k = 0; k < 20_000; k++) {
      if (k === 10_000) diskBytesHalfway = store.stats().diskBytes;
      at(`visitor-${k}`);
      v.update({ seen: k });
      clock.advance(1); // 2000 keys alive at any time
      if (k % 100 === 99) {
        state.cleanupExpired(200);
        store.flush();
        if (k % 1000 === 999) peakLive = Math.max(peakLive, [...store.entries('op3/first-seen')].length);
      }
    }
    expect(peakLive).toBeGreaterThanOrEqual(2000);
    expect(peakLive).toBeLessThan(4500);
    // LMDB reuses the pages of deleted entries: the file does not keep growing with the key count.
    expect(store.stats().diskBytes).toBeLessThan(diskBytesHalfway * 1.5);
  });
});
