import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { describeLmdbError, LmdbStore } from '../../src/state/lmdb-store.ts';
import type { StateEntry, StateStore } from '../../src/state/store.ts';
import { tempDir } from '../helpers.ts';
import { seededRandom } from '../../src/util/random.ts';
import { backends, closeAll, expectStateError } from './backends.ts';

afterEach(closeAll);

const S = 'op1/counts';
const list = (store: StateStore, state = S, after?: Parameters<StateStore['entries']>[1]) =>
  [...store.entries(state, after)].map((e: StateEntry) => [e.keyGroup, e.key, e.namespace, e.value]);

/** Reads one entry in a separate process, i.e. what a fresh reader of the LMDB files sees (null when absent). */
function readFresh(path: string, key: unknown[]): unknown {
  const script = `import { open } from 'lmdb'; const db = open({ path: ${JSON.stringify(path)}, readOnly: true }); console.log(JSON.stringify(db.get(${JSON.stringify(key)}) ?? null)); db.close();`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8' }));
}


describe.each(backends)('state store: $name', (backend) => {
  it('puts, gets and deletes structured values by (state, key group, key, namespace)', () => {
    const { store } = backend.open();
    store.put(S, 3, 'alice', '', { n: 1, tags: ['a', 'b'], at: new Date(5) });
    store.put(S, 3, 'alice', 'w1', [1, 2, 3]);
    store.put(S, 4, 42, '', 'a number key');
    store.put('op2/other', 3, 'alice', '', 7);
    expect(store.get(S, 3, 'alice', '')).toEqual({ n: 1, tags: ['a', 'b'], at: new Date(5) });
    expect(store.get(S, 3, 'alice', 'w1')).toEqual([1, 2, 3]);
    expect(store.get(S, 4, 42, '')).toBe('a number key');
    expect(store.get(S, 4, '42', '')).toBeUndefined(); // the number 42 and the string '42' are different keys
    expect(store.get('op2/other', 3, 'alice', '')).toBe(7);
    store.delete(S, 3, 'alice', '');
    expect(store.get(S, 3, 'alice', '')).toBeUndefined();
    expect(store.get(S, 3, 'alice', 'w1')).toEqual([1, 2, 3]);
    store.delete(S, 9, 'never-written', ''); // deleting what is absent is fine
    expect(store.get(S, 9, 'never-written', '')).toBeUndefined();
  });

  it('tombstones hide deleted entries from get and entries, also after a flush', () => {
    const { store } = backend.open();
    for (let k = 0; k < 20; k++) store.put(S, k % 4, k, '', k * 10);
    store.flush();
    for (let k = 0; k < 20; k += 2) store.delete(S, k % 4, k, '');
    expect(store.get(S, 0, 4, '')).toBeUndefined();
    expect(list(store).map((e) => e[1]).sort((a, b) => Number(a) - Number(b))).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
    store.flush();
    expect(store.get(S, 0, 4, '')).toBeUndefined();
    store.put(S, 0, 4, '', 'back');
    expect(store.get(S, 0, 4, '')).toBe('back');
  });

  it('lists a state\'s entries in key order and resumes after a given entry', () => {
    const { store } = backend.open();
    const written: Array<[number, string | number, string]> = [];
    for (const kg of [5, 0, 2]) for (const key of ['b', 3, 'a', 1]) for (const ns of ['', 'w2']) written.push([kg, key, ns]);
    for (const [kg, key, ns] of written) store.put(S, kg, key, ns, `${kg}/${key}/${ns}`);
    store.put('op1/countsX', 0, 'z', '', 'a neighbouring state is not listed');
    const all = list(store);
    expect(all.map((e) => e.slice(0, 3))).toEqual([
      [0, 1, ''], [0, 1, 'w2'], [0, 3, ''], [0, 3, 'w2'], [0, 'a', ''], [0, 'a', 'w2'], [0, 'b', ''], [0, 'b', 'w2'],
      [2, 1, ''], [2, 1, 'w2'], [2, 3, ''], [2, 3, 'w2'], [2, 'a', ''], [2, 'a', 'w2'], [2, 'b', ''], [2, 'b', 'w2'],
      [5, 1, ''], [5, 1, 'w2'], [5, 3, ''], [5, 3, 'w2'], [5, 'a', ''], [5, 'a', 'w2'], [5, 'b', ''], [5, 'b', 'w2'],
    ]);
    expect(all.every((e) => e[3] === `${e[0]}/${e[1]}/${e[2]}`)).toBe(true);
    expect(list(store, S, { keyGroup: 2, key: 'b', namespace: '' }).map((e) => e.slice(0, 3))).toEqual([
      [2, 'b', 'w2'], [5, 1, ''], [5, 1, 'w2'], [5, 3, ''], [5, 3, 'w2'], [5, 'a', ''], [5, 'a', 'w2'], [5, 'b', ''], [5, 'b', 'w2'],
    ]);
    // Resuming after an entry that has been deleted since still works.
    store.delete(S, 5, 3, '');
    expect(list(store, S, { keyGroup: 5, key: 3, namespace: '' }).map((e) => e.slice(0, 3))[0]).toEqual([5, 3, 'w2']);
    expect(list(store, 'op9/empty')).toEqual([]);
  });

  it('lets the caller put and delete while iterating (more entries than one scan chunk)', () => {
    const { store } = backend.open();
    const n = 700;
    const model = new Map<number, number>();
    for (let k = 0; k < n; k++) {
      store.put(S, 0, k, '', k);
      model.set(k, k);
    }
    // What each visit does: delete the current entry (odd keys), delete one two ahead, update the next.
    const visit = (k: number, put: (k: number, v: number) => void, del: (k: number) => void) => {
      if (k % 2 === 1) del(k);
      if (k + 2 < n && (k + 2) % 5 === 0) del(k + 2);
      if (k + 1 < n && (k + 1) % 3 === 0) put(k + 1, -(k + 1));
    };
    // The reference: visit the keys in order, skipping those deleted by then, seeing current values.
    const expected: Array<[number, number]> = [];
    for (let k = 0; k < n; k++) {
      if (!model.has(k)) continue;
      expected.push([k, model.get(k)!]);
      visit(k, (key, v) => model.set(key, v), (key) => model.delete(key));
    }
    const seen: Array<[number, unknown]> = [];
    for (const e of store.entries(S)) {
      const k = e.key as number;
      seen.push([k, e.value]);
      visit(k, (key, v) => store.put(S, 0, key, '', v), (key) => store.delete(S, 0, key, ''));
    }
    expect(seen).toEqual(expected);
    expect(seen.length).toBeGreaterThan(400);
    expect(list(store).map((e) => [e[1], e[3]])).toEqual([...model.entries()].sort((x, y) => x[0] - y[0]));
  });

  it('rejects values that cannot be stored, naming the state and key, and keeps the previous value', () => {
    const { store } = backend.open({ operatorNameOf: (state) => (state.startsWith('op1/') ? 'count-per-user' : 'other') });
    store.put(S, 1, 'bob', '', { ok: true });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const cases: Array<[unknown, string]> = [
      [{ callback: () => 1 }, 'a function at .callback'],
      [[1, Symbol('s')], 'a symbol at [1]'],
      [2n ** 80n, 'bigint'],
      [cyclic, 'circular'],
      [undefined, 'undefined'],
      // Binary views other than Uint8Array came back from LMDB as wrong bytes: refused on every backend.
      [{ samples: new Float64Array([1.5, 2.5]) }, 'a Float64Array at .samples cannot be stored'],
      [[new Int32Array([1, -2])], 'a Int32Array at [0]'],
      [new DataView(new ArrayBuffer(8)), 'a DataView'],
      [new ArrayBuffer(8), 'a ArrayBuffer'],
      // Plain objects and arrays are checked first (the common case); the rarer kinds still are.
      [new (class Holder { cb = () => 1 })(), 'a function at .cb'],
      [Object.assign(Object.create(null) as object, { cb: () => 1 }), 'a function at .cb'],
      [new Map([['k', () => 1]]), 'a function at .get("k")'],
    ];
    for (const [value, reason] of cases) {
      const err = expectStateError(() => store.put(S, 1, 'bob', '', value), 'operator "count-per-user"', `state "${S}"`, 'key "bob"', reason);
      expect(err.operator).toBe('count-per-user');
    }
    store.flush();
    expect(store.get(S, 1, 'bob', '')).toEqual({ ok: true });
  });

  it('round-trips the value shapes keyed state uses', () => {
    const { store } = backend.open();
    const values = [
      [[1, { a: 1 }], ['x', [2, 3]]], // map state pairs
      [[{ sum: 3 }, 1_700_000_000_123]], // a TTL record
      ['', 0, -1.5, null, true, 'ü ☃ 𝄞'],
      { nested: { deep: [[[{ x: 1 }]]] }, big: 2n ** 62n },
    ];
    values.forEach((v, i) => store.put(S, 0, i, '', v));
    store.put(S, 0, 'bytes', '', { bytes: new Uint8Array([0, 1, 254, 255]) });
    store.flush();
    values.forEach((v, i) => expect(store.get(S, 0, i, '')).toEqual(v));
    // A Uint8Array keeps its bytes (LMDB gives it back as a Buffer, a Uint8Array too).
    const { bytes } = store.get(S, 0, 'bytes', '') as { bytes: Uint8Array };
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect([...bytes]).toEqual([0, 1, 254, 255]);
  });

});

describe.each(backends.filter((b) => b.durable))('durable state store: $name', (backend) => {
  it('keeps its data across close and reopen', () => {
    const opened = backend.open();
    let store = opened.store;
    for (let k = 0; k < 300; k++) store.put(S, k % 16, `k${k}`, '', { k });
    for (let k = 0; k < 300; k += 3) store.delete(S, k % 16, `k${k}`, '');
    store = opened.reopen();
    for (let k = 0; k < 300; k++) expect(store.get(S, k % 16, `k${k}`, '')).toEqual(k % 3 === 0 ? undefined : { k });
    expect(list(store).length).toBe(200);
  });

  it('flush makes every write visible to a fresh reader in another process', () => {
    const opened = backend.open();
    const store = opened.store;
    for (let k = 0; k < 50; k++) store.put(S, 7, k, '', `v${k}`);
    store.delete(S, 7, 10, '');
    store.flush();
    const script = `
      import { open } from 'lmdb';
      const db = open({ path: ${JSON.stringify(opened.path)}, readOnly: true });
      const out = [];
      for (const { key, value } of db.getRange({ start: [${JSON.stringify(S)}], end: [${JSON.stringify(S)}, Infinity] })) out.push([key[2], value]);
      console.log(JSON.stringify(out));
      db.close();`;
    const seen = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8' }));
    const expected = [];
    for (let k = 0; k < 50; k++) if (k !== 10) expected.push([k, `v${k}`]);
    expect(seen).toEqual(expected);
  });
});

describe('LMDB store: write-back cache', () => {
  const lmdbAt = (cacheEntriesMax: number, mapSizeBytes?: number) => {
    const dir = tempDir('weir-state-');
    const store = new LmdbStore({ path: `${dir.path}/w`, cacheEntriesMax, mapSizeBytes, operatorNameOf: () => 'sessionize' });
    return { store, dir, path: `${dir.path}/w` };
  };
  let cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const f of cleanup.splice(0)) f();
  });
  const track = <T extends { store: LmdbStore; dir: { remove(): void } }>(x: T): T => {
    cleanup.push(() => {
      try {
        x.store.close();
      } catch {
        /* map full on purpose */
      }
      x.dir.remove();
    });
    return x;
  };

  it('keeps every value correct under random puts, deletes and gets with a small cache (seeded, against a Map)', () => {
    for (const seed of [1, 2, 3]) {
      const { store, path } = track(lmdbAt(64));
      const random = seededRandom(seed);
      const model = new Map<string, unknown>();
      const keys = 500;
      for (let op = 0; op < 20_000; op++) {
        const k = Math.floor(random() ** 2 * keys); // skewed: some keys are hot
        const kg = k % 8;
        const ns = k % 5 === 0 ? 'w' : '';
        const id = `${kg}/${k}/${ns}`;
        const r = random();
        if (r < 0.5) {
          const v = { k, op, list: [op % 7] };
          store.put(S, kg, k, ns, v);
          model.set(id, v);
        } else if (r < 0.65) {
          store.delete(S, kg, k, ns);
          model.delete(id);
        } else {
          expect(store.get(S, kg, k, ns), `seed ${seed} op ${op} key ${id}`).toEqual(model.get(id));
        }
        if (op % 5000 === 4999) store.flush();
        expect(store.stats().cachedEntries).toBeLessThanOrEqual(64);
      }
      const listed = new Map([...store.entries(S)].map((e) => [`${e.keyGroup}/${e.key}/${e.namespace}`, e.value]));
      expect(listed).toEqual(model);
      store.close();
      // and what reached the disk is the same
      const again = new LmdbStore({ path, cacheEntriesMax: 0 });
      expect(new Map([...again.entries(S)].map((e) => [`${e.keyGroup}/${e.key}/${e.namespace}`, e.value]))).toEqual(model);
      again.close();
    }
  });

  it('holds writes in memory until flush: an unflushed write is not in LMDB, a flushed one is', () => {
    const { store, path } = track(lmdbAt(1000));
    store.put(S, 0, 'k', '', 'cached');
    store.flush(); // creates the file with the entry
    store.put(S, 0, 'k', '', 'changed');
    expect(store.dirtyEntries()).toBe(1);
    expect(readFresh(path, [S, 0, 'k', ''])).toBe('cached');
    store.flush();
    expect(store.dirtyEntries()).toBe(0);
    expect(readFresh(path, [S, 0, 'k', ''])).toBe('changed');
  });

  it('writes back ahead of a flush only once enough entries are dirty, at most the batch asked for', () => {
    const { store } = track(lmdbAt(1000));
    for (let k = 0; k < 9; k++) store.put(S, 0, k, '', k);
    expect(store.writeBackIdle(20, 10)).toBe(0); // 9 dirty, fewer than 10: left for the flush
    expect(store.dirtyEntries()).toBe(9);
    for (let k = 9; k < 30; k++) store.put(S, 0, k, '', k);
    expect(store.writeBackIdle(20, 10)).toBe(20); // 30 dirty: a batch of at most 20 goes
    expect(store.writeBackIdle(20, 10)).toBe(10);
    expect(store.dirtyEntries()).toBe(0);
    for (let k = 0; k < 5; k++) store.put(S, 0, k, '', -k);
    expect(store.writeBackIdle(20, 10)).toBe(0);
    expect(store.dirtyEntries()).toBe(5);
    for (let k = 0; k < 30; k++) expect(store.get(S, 0, k, '')).toBe(k < 5 ? -k : k);
    expect(() => store.writeBackIdle(4, 5)).toThrow(/minEntries/);
  });

  it('evicts by writing back a batch of the coldest entries', () => {
    const { store } = track(lmdbAt(100));
    for (let k = 0; k < 100; k++) store.put(S, 0, k, '', k);
    expect(store.stats().cachedEntries).toBe(100);
    expect(store.dirtyEntries()).toBe(100);
    store.put(S, 0, 100, '', 100); // one over: a tenth of the cache goes
    expect(store.stats().cachedEntries).toBe(91);
    expect(store.dirtyEntries()).toBe(91);
    for (let k = 0; k <= 100; k++) expect(store.get(S, 0, k, '')).toBe(k);
  });

  it('gives recently used entries a second chance at eviction', () => {
    const { store, path } = track(lmdbAt(10));
    for (let k = 0; k < 10; k++) store.put(S, 0, k, '', 'old');
    store.flush();
    store.put(S, 0, 0, '', 'new'); // dirty, and kept hot below: never written back before a flush
    for (let round = 0; round < 5; round++) {
      expect(store.get(S, 0, 0, '')).toBe('new');
      store.put(S, 0, 100 + round, '', round); // each is one over capacity: one entry goes
    }
    expect(store.stats().cachedEntries).toBe(10);
    expect(readFresh(path, [S, 0, 0, ''])).toBe('old');
    expect(readFresh(path, [S, 0, 100, ''])).toBe(null); // the new keys are still only in the cache
    store.flush();
    expect(readFresh(path, [S, 0, 0, ''])).toBe('new');
  });

  it('reports LMDB map full for real with a tiny map, names the state and key, and loses nothing', () => {
    // Without a cache: the put that does not fit fails; everything before it is there.
    const direct = track(lmdbAt(0, 64 * 1024));
    let written = 0;
    const err = expectStateError(() => {
      for (; written < 10_000; written++) direct.store.put('op7/sessions', 1, `user-${written}`, '', 'x'.repeat(200));
    }, 'operator "sessionize"', 'state "op7/sessions"', 'map full');
    expect(err.message).toContain(`key "user-${written}"`);
    expect(written).toBeGreaterThan(50);
    for (let k = 0; k < written; k++) expect(direct.store.get('op7/sessions', 1, `user-${k}`, '')).toBe('x'.repeat(200));
    expect(direct.store.get('op7/sessions', 1, `user-${written}`, '')).toBeUndefined();
    direct.store.delete('op7/sessions', 1, 'user-0', ''); // deleting still works and makes room
    direct.store.put('op7/sessions', 1, 'small', '', 1);

    // With the cache: the flush fails, and the writes stay readable in the cache.
    const cached = track(lmdbAt(100_000, 64 * 1024));
    for (let k = 0; k < 1000; k++) cached.store.put('op7/sessions', 2, `user-${k}`, '', 'y'.repeat(200));
    expectStateError(() => cached.store.flush(), 'map full', 'state "op7/sessions"', 'key "user-');
    expect(cached.store.dirtyEntries()).toBe(1000);
    for (let k = 0; k < 1000; k++) expect(cached.store.get('op7/sessions', 2, `user-${k}`, '')).toBe('y'.repeat(200));
  });

  it('describes disk-full and map-full errors from LMDB', () => {
    expect(describeLmdbError(Object.assign(new Error('No space left on device'), { code: 28 }))).toMatch(/^disk full/);
    expect(describeLmdbError(Object.assign(new Error('MDB_MAP_FULL: Environment mapsize limit reached'), { code: -30792 }))).toMatch(/^LMDB map full/);
    expect(describeLmdbError(new Error('something else'))).toBe('something else');
  });

  it('rejects use after close', () => {
    const { store } = track(lmdbAt(10));
    store.close();
    expectStateError(() => store.get(S, 0, 'k', ''), 'closed');
  });

  it('reports its cache size and data file size', () => {
    const { store } = track(lmdbAt(1000));
    for (let k = 0; k < 500; k++) store.put(S, 0, k, '', 'v'.repeat(100));
    expect(store.stats().cachedEntries).toBe(500);
    store.flush();
    const { diskBytes } = store.stats();
    expect(diskBytes).toBeGreaterThan(500 * 100);
  });
});
