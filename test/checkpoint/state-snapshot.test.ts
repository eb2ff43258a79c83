// State snapshots on real files: round trips for both backends, key-group-filtered restores after
// a parallelism change, consistency while writes continue, and damaged snapshot files.
import { existsSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointStore, keyGroupRangeOfWorker } from '../../src/checkpoint/index.ts';
import {
  readSnapshotSummary,
  restoreHeapStore,
  restoreIntoStore,
  restoreLmdbStore,
  snapshotLmdbEnvironment,
  snapshotLmdbStore,
  snapshotStoreStates,
} from '../../src/snapshot/index.ts';
import { readSnapshotFrames, SnapshotFileWriter } from '../../src/snapshot/snapshot-file.ts';
import { mergeSnapshotChain, MergeCancelled } from '../../src/snapshot/snapshot-merge.ts';
import { deltaContents, writeDeltaFile } from '../../src/snapshot/state-snapshot.ts';
import { latestChanges } from '../../src/state/change-log.ts';
import { WeirError } from '../../src/errors.ts';
import { workerOfKeyGroup } from '../../src/runtime/keys.ts';
import { HeapStore } from '../../src/state/heap-store.ts';
import { KeyedState } from '../../src/state/keyed-state.ts';
import { LmdbStore } from '../../src/state/lmdb-store.ts';
import type { StateEntry, StateStore } from '../../src/state/store.ts';
import { expectWeirError, tempDir } from '../helpers.ts';

const keyGroups = 128;
const states = ['sum/count', 'sessions/open', 'sum/__timers/event-time'];

let dir: { path: string; remove(): void };
const opened: Array<{ close(): void }> = [];
beforeEach(() => {
  dir = tempDir('weir-snapshot-');
});
afterEach(() => {
  for (const store of opened.splice(0)) {
    try {
      store.close();
    } catch {
      // already closed
    }
  }
  dir.remove();
});

function lmdbStore(name: string, cacheEntriesMax = 1000): LmdbStore {
  const store = new LmdbStore({ path: join(dir.path, name), cacheEntriesMax });
  opened.push(store);
  return store;
}

/** Deterministic entries: numeric and string keys, namespaces, values of many shapes, every key group. */
function fill(store: StateStore, count: number, seed = 0, owns: (keyGroup: number) => boolean = () => true): void {
  for (let i = 0; i < count; i++) {
    const keyGroup = (i * 7 + seed) % keyGroups;
    if (!owns(keyGroup)) continue;
    const state = states[i % states.length];
    const key = i % 2 === 0 ? i : `user-${i}`;
    const namespace = state.includes('__timers') ? String(1_000 + i) : i % 5 === 0 ? `window-${i % 3}` : '';
    store.put(state, keyGroup, key, namespace, valueFor(i, seed));
  }
}

function valueFor(i: number, seed: number): unknown {
  switch (i % 6) {
    case 0:
      return i + seed;
    case 1:
      return { total: i * 1.5, items: [i, `x${i}`], seed };
    case 2:
      return new Map<unknown, unknown>([
        [i, 'number key'],
        ['s', { nested: [seed] }],
      ]);
    case 3:
      return new Date(1_700_000_000_000 + i);
    case 4:
      return BigInt(i) * 10_000_000_000n;
    default:
      return `text ${i} ${'∑'.repeat(i % 4)}`;
  }
}

/** Every entry of the given states, in a stable order, for comparing stores. */
function dump(store: StateStore, stateIds = states): StateEntry[] {
  const all = stateIds.flatMap((state) => [...store.entries(state)]);
  return all.sort((a, b) => (a.state + '|' + a.keyGroup + '|' + String(a.key) + '|' + a.namespace < b.state + '|' + b.keyGroup + '|' + String(b.key) + '|' + b.namespace ? -1 : 1));
}


describe('LMDB state snapshots', () => {
  it('round-trips many entries across every key group, including changes still in the write-back cache', async () => {
    const store = lmdbStore('worker-0', 500);
    fill(store, 20_000);
    expect(store.dirtyEntries()).toBeGreaterThan(0); // part of the state is only in the cache
    const expected = dump(store);
    expect(new Set(expected.map((e) => e.keyGroup)).size).toBe(keyGroups);

    const file = join(dir.path, 'worker-0.snapshot');
    const result = await snapshotLmdbStore(store, file);
    expect(result.entries).toBe(20_000);
    expect(result.bytes).toBe(readFileSync(file).length);
    expect(result.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(result.states).sort()).toEqual([...states].sort());

    const { store: restored, result: restoredCounts } = await restoreLmdbStore(file, { path: join(dir.path, 'restored') });
    opened.push(restored);
    expect(restoredCounts).toEqual({ restored: 20_000, deleted: 0, filteredOut: 0, states: result.states });
    expect(dump(restored)).toEqual(expected);
    // The restored store is durable: it reopens with the same data.
    restored.close();
    expect(dump(lmdbStore('restored'))).toEqual(expected);
    // The same snapshot restores into the heap backend unchanged.
    expect(dump((await restoreHeapStore(file)).store)).toEqual(expected);
  });

  it('reflects the moment it was taken while the worker keeps writing (and evicting to LMDB)', async () => {
    // A cache of 64 entries: nearly every later write reaches LMDB through eviction while the
    // snapshot is being copied out.
    const store = lmdbStore('worker-0', 64);
    fill(store, 30_000);
    const expected = dump(store);

    const snapshot = snapshotLmdbStore(store, join(dir.path, 'snap'));
    let done = false;
    void snapshot.finally(() => (done = true));
    let writesDuringSnapshot = 0;
    let i = 0;
    while (!done) {
      for (let n = 0; n < 200; n++, i++) {
        const keyGroup = (i * 7) % keyGroups;
        if (i % 3 === 0) store.delete(states[i % states.length], keyGroup, i % 2 === 0 ? i : `user-${i}`, '');
        else store.put('sum/count', keyGroup, `late-${i}`, '', { late: i });
        writesDuringSnapshot++;
      }
      store.put('sum/count', 42, 6, '', 'overwritten after the snapshot');
      await new Promise((resolve) => setImmediate(resolve));
    }
    const result = await snapshot;
    expect(writesDuringSnapshot).toBeGreaterThan(1000);
    expect(store.get('sum/count', 42, 6, '')).toBe('overwritten after the snapshot');

    const { store: restored } = await restoreHeapStore(result.path);
    expect(dump(restored)).toEqual(expected);
    expect(restored.get('sum/count', 42, 6, '')).toBe(6);
  });

  it('two snapshots in the same turn see the writes between them', async () => {
    const store = lmdbStore('worker-0', 0);
    store.put('sum/count', 1, 'a', '', 1);
    const first = snapshotLmdbStore(store, join(dir.path, 'first'));
    store.put('sum/count', 1, 'b', '', 2);
    const second = snapshotLmdbStore(store, join(dir.path, 'second'));
    expect((await first).entries).toBe(1);
    expect((await second).entries).toBe(2);
  });

  it('snapshots an environment by path (a closed store) and an empty store', async () => {
    const store = lmdbStore('worker-0');
    fill(store, 3_000);
    const expected = dump(store);
    store.close();
    const result = await snapshotLmdbEnvironment(join(dir.path, 'worker-0'), join(dir.path, 'by-path'));
    expect(result.entries).toBe(3_000);
    expect(dump((await restoreHeapStore(result.path)).store)).toEqual(expected);

    await expectWeirError(snapshotLmdbEnvironment(join(dir.path, 'no-such-store'), join(dir.path, 'x')), 'WEIR_STATE', /no state store \(LMDB environment\) at/);
    expect(existsSync(join(dir.path, 'no-such-store'))).toBe(false);

    const empty = lmdbStore('empty');
    const none = await snapshotLmdbStore(empty, join(dir.path, 'empty.snapshot'));
    expect(none.entries).toBe(0);
    expect((await restoreHeapStore(none.path)).result).toEqual({ restored: 0, deleted: 0, filteredOut: 0, states: {} });
  });

  it('refuses to overwrite an existing snapshot file or restore into a non-empty directory', async () => {
    const store = lmdbStore('worker-0');
    fill(store, 10);
    const file = join(dir.path, 'snap');
    writeFileSync(file, 'already here');
    await expectWeirError(snapshotLmdbStore(store, file), 'WEIR_STATE', /cannot create the state snapshot .*EEXIST/);
    expect(readFileSync(file, 'utf8')).toBe('already here');

    const ok = await snapshotLmdbStore(store, join(dir.path, 'snap2'));
    await expectWeirError(restoreLmdbStore(ok.path, { path: join(dir.path, 'worker-0') }), 'WEIR_CONFIG', /not empty/);
  });
});

describe('heap state snapshots', () => {
  it('round-trips the named states, and lists states without entries too', async () => {
    const store = new HeapStore();
    fill(store, 5_000);
    const expected = dump(store);
    const result = await snapshotStoreStates(store, [...states, 'never/used'], join(dir.path, 'heap.snapshot'));
    expect(result.entries).toBe(5_000);
    expect(result.states['never/used']).toBe(0);

    const summary = await readSnapshotSummary(result.path);
    expect(summary).toMatchObject({ backend: 'heap', entries: 5_000 });
    expect(Object.keys(summary.states).sort()).toEqual([...states, 'never/used'].sort());

    expect(dump((await restoreHeapStore(result.path)).store)).toEqual(expected);
    const { store: intoLmdb } = await restoreLmdbStore(result.path, { path: join(dir.path, 'lmdb'), cacheEntriesMax: 100 });
    opened.push(intoLmdb);
    expect(dump(intoLmdb)).toEqual(expected);
  });

  it('is the state at the call even when an accumulator is changed in place afterwards', async () => {
    const store = new HeapStore();
    const accumulator = { count: 1 };
    store.put('agg/acc', 3, 'k', '', accumulator);
    const snapshot = snapshotStoreStates(store, ['agg/acc'], join(dir.path, 'heap.snapshot'));
    accumulator.count = 99; // what an aggregate function may do (keyed-state.ts)
    store.put('agg/acc', 3, 'k2', '', 'added after');
    const { store: restored } = await restoreHeapStore((await snapshot).path);
    expect(dump(restored, ['agg/acc']).map((e) => [e.key, e.value])).toEqual([['k', { count: 1 }]]);
  });

  it('map state: its pairs at the call, read back as map state from either backend', async () => {
    const store = new HeapStore();
    const state = new KeyedState(store, 'visits', 'visits', () => 0);
    const pages = state.mapState<unknown, number>('pages');
    state.setCurrentKey('u1', 7);
    pages.put('/home', 1);
    pages.put({ path: '/cart' }, 2);
    pages.put(42, 3);
    const snapshot = snapshotStoreStates(store, ['visits/pages'], join(dir.path, 'heap.snapshot'));
    pages.put('/home', 100); // changed in place after the call, as map state is
    pages.remove(42);
    const path = (await snapshot).path;
    const restoredHeap = (await restoreHeapStore(path)).store;
    const restoredLmdb = (await restoreLmdbStore(path, { path: join(dir.path, 'lmdb'), cacheEntriesMax: 100 })).store;
    opened.push(restoredLmdb);
    for (const restored of [restoredHeap, restoredLmdb]) {
      const again = new KeyedState(restored, 'visits', 'visits', () => 0);
      const restoredPages = again.mapState<unknown, number>('pages');
      again.setCurrentKey('u1', 7);
      expect(restoredPages.entries()).toEqual([
        ['/home', 1],
        [{ path: '/cart' }, 2],
        [42, 3],
      ]);
      expect(restoredPages.get({ path: '/cart' })).toBe(2);
    }
  });

  it('includes what flush listeners put (timers) at snapshot time', async () => {
    const store = new HeapStore();
    store.onFlush(() => store.put('op/__timers/event-time', 5, 'k', '1000', 'k'));
    const result = await snapshotStoreStates(store, ['op/__timers/event-time'], join(dir.path, 'heap.snapshot'));
    expect(result.states).toEqual({ 'op/__timers/event-time': 1 });
  });
});

describe('key-group-filtered restore', () => {
  it('keyGroupRangeOfWorker gives exactly the key groups the runtime routes to each worker', () => {
    for (const [groups, parallelism] of [
      [128, 1],
      [128, 3],
      [128, 7],
      [10, 10],
      [1000, 64],
      [7, 3],
    ]) {
      for (let worker = 0; worker < parallelism; worker++) {
        const { from, to } = keyGroupRangeOfWorker(worker, groups, parallelism);
        const owned = Array.from({ length: groups }, (_, g) => g).filter((g) => workerOfKeyGroup(g, groups, parallelism) === worker);
        expect([from, to]).toEqual([owned[0], owned[owned.length - 1]]);
        expect(owned.length).toBe(to - from + 1);
      }
    }
    expect(() => keyGroupRangeOfWorker(3, 128, 3)).toThrow(/worker 3 is not in 0 … 2/);
  });

  it('rescales 2 → 3 workers: each new worker restores exactly its key groups from both old snapshots', async () => {
    // Two old workers, each holding the key groups the runtime gave it at parallelism 2.
    const old = [0, 1].map((w) => {
      const store = lmdbStore(`old-${w}`, 300);
      fill(store, 12_000, 0, (g) => workerOfKeyGroup(g, keyGroups, 2) === w);
      return store;
    });
    const everything = [...dump(old[0]), ...dump(old[1])];
    expect(everything.length).toBe(12_000);
    const files = await Promise.all(old.map((store, w) => snapshotLmdbStore(store, join(dir.path, `old-${w}.snapshot`)).then((r) => r.path)));

    const restoredEntries: StateEntry[] = [];
    for (let w = 0; w < 3; w++) {
      const range = keyGroupRangeOfWorker(w, keyGroups, 3);
      const { store, result } = await restoreLmdbStore(files, { path: join(dir.path, `new-${w}`), keyGroups: range });
      opened.push(store);
      const entries = dump(store);
      expect(entries.length).toBe(result.restored);
      expect(result.restored + result.filteredOut).toBe(12_000);
      expect(entries.every((e) => workerOfKeyGroup(e.keyGroup, keyGroups, 3) === w)).toBe(true);
      expect(entries).toEqual(dump(toHeap(everything.filter((e) => workerOfKeyGroup(e.keyGroup, keyGroups, 3) === w))));
      restoredEntries.push(...entries);
    }
    // Nothing lost, nothing duplicated.
    expect(dump(toHeap(restoredEntries))).toEqual(dump(toHeap(everything)));
  });

  it('accepts a predicate and leaves the rest of the store alone', async () => {
    const source = new HeapStore();
    fill(source, 1_000);
    const file = (await snapshotStoreStates(source, states, join(dir.path, 's'))).path;
    const target = new HeapStore();
    target.put('other/state', 1, 'kept', '', true);
    const result = await restoreIntoStore(target, file, { keyGroups: (g) => g % 2 === 1 });
    expect(result.restored).toBe(dump(source).filter((e) => e.keyGroup % 2 === 1).length);
    expect(dump(target).every((e) => e.keyGroup % 2 === 1)).toBe(true);
    expect(target.get('other/state', 1, 'kept', '')).toBe(true);
    await expectWeirError(restoreIntoStore(new HeapStore(), file, { keyGroups: { from: 5, to: 2 } }), 'WEIR_CONFIG', /not a range/);
  });
});

describe('damaged snapshot files', () => {
  async function snapshotFile(): Promise<string> {
    const store = new HeapStore();
    fill(store, 5_000);
    return (await snapshotStoreStates(store, states, join(dir.path, 'snap'))).path;
  }

  it('a truncated file fails the restore and leaves nothing behind', async () => {
    const file = await snapshotFile();
    const size = readFileSync(file).length;
    truncateSync(file, size - 10);
    await expectWeirError(restoreHeapStore(file), 'WEIR_STATE', /ends inside a frame .*truncated/);
    const target = join(dir.path, 'restored');
    await expectWeirError(restoreLmdbStore(file, { path: target }), 'WEIR_STATE', /truncated/);
    expect(existsSync(target)).toBe(false);
  });

  it('a file cut exactly at a frame boundary is caught by the missing end frame', async () => {
    const file = await snapshotFile();
    const bytes = readFileSync(file);
    // The end frame is the last frame: find its start by walking the frames.
    let offset = 12;
    let lastFrameStart = offset;
    while (offset < bytes.length) {
      lastFrameStart = offset;
      offset += 8 + bytes.readUInt32LE(offset);
    }
    writeFileSync(file, bytes.subarray(0, lastFrameStart));
    await expectWeirError(readSnapshotSummary(file), 'WEIR_STATE', /ends after 5000 entries without its end frame \(truncated\)/);
  });

  it('an LMDB snapshot frame whose pairs disagree with its count, or are cut short, is refused', async () => {
    const store = lmdbStore('worker-0');
    fill(store, 10);
    const valid = await snapshotLmdbStore(store, join(dir.path, 'valid'));
    for (const [name, frame] of [
      ['miscounted', (bytes: Uint8Array) => ({ t: 'pairs', count: 11, bytes })],
      ['cut', (bytes: Uint8Array) => ({ t: 'pairs', count: 10, bytes: bytes.subarray(0, bytes.length - 3) })],
    ] as const) {
      const file = join(dir.path, name);
      const writer = await SnapshotFileWriter.create(file);
      for await (const f of readSnapshotFrames(valid.path)) {
        const t = (f as { t: string }).t;
        await writer.writeFrame(t === 'pairs' ? frame((f as { bytes: Uint8Array }).bytes) : f);
      }
      await writer.finish();
      await expectWeirError(restoreHeapStore(file), 'WEIR_STATE', name === 'cut' ? /past the end of its frame/ : /says it holds 11 entries, it holds 10/);
    }
  });

  it('a flipped byte is a frame checksum mismatch; a foreign file is refused', async () => {
    const file = await snapshotFile();
    const bytes = readFileSync(file);
    bytes[bytes.length >> 1] ^= 0x40;
    writeFileSync(file, bytes);
    await expectWeirError(restoreHeapStore(file), 'WEIR_STATE', /damaged at byte \d+: frame checksum mismatch/);
    writeFileSync(file, 'PK\x03\x04 not ours at all');
    await expectWeirError(restoreHeapStore(file), 'WEIR_STATE', /not a weir state snapshot/);
  });
});

describe('snapshots in checkpoints', () => {
  it('a worker snapshot written into a checkpoint is found by latestValid and restored from it', async () => {
    const store = lmdbStore('state/worker-0', 200);
    fill(store, 4_000);
    const expected = dump(store);
    const checkpoints = await CheckpointStore.open(dir.path);
    const where = await checkpoints.begin(1);
    const snap = await snapshotLmdbStore(store, join(where, 'worker-0.snapshot'));
    fill(store, 500, 3); // the job goes on
    await checkpoints.complete({
      id: 1,
      kind: 'checkpoint',
      createdAtMs: Date.now(),
      jobName: 'j',
      parallelism: 1,
      keyGroups,
      sourcePositions: [{ operatorUid: 'src', partition: 0, position: 4_000 }],
      stateFiles: [{ worker: 0, path: 'worker-0.snapshot', bytes: snap.bytes, sha256: snap.sha256 }],
      sinkNotes: [],
    });

    const { checkpoint } = await (await CheckpointStore.open(dir.path)).latestValid();
    const files = checkpoint!.stateFiles.filter((f) => f.worker === 0).map((f) => f.absolutePath);
    mkdirSync(join(dir.path, 'recovered'));
    const { store: recovered } = await restoreLmdbStore(files, { path: join(dir.path, 'recovered') });
    opened.push(recovered);
    expect(dump(recovered)).toEqual(expected);
  });
});

function toHeap(entries: StateEntry[]): HeapStore {
  const heap = new HeapStore();
  for (const e of entries) heap.put(e.state, e.keyGroup, e.key, e.namespace, e.value);
  return heap;
}

describe('delta snapshots (incremental checkpoints)', () => {
  /** A full snapshot of 2000 keys, then three deltas that change, add and delete keys. */
  async function chainOfSnapshots() {
    const store = lmdbStore('live', 500);
    for (let k = 0; k < 2000; k++) store.put('sum/count', k % keyGroups, k, '', k);
    const full = await snapshotLmdbStore(store, join(dir.path, 'full.snapshot'));
    store.takeChanges(); // the cut of the full snapshot
    const deltas: string[] = [];
    for (let round = 1; round <= 3; round++) {
      for (let k = round; k < 2000; k += 97) store.put('sum/count', k % keyGroups, k, '', k * 10 + round); // changed
      store.put('sessions/open', round, `new-${round}`, 'w', { round }); // new
      store.delete('sum/count', (round * 5) % keyGroups, round * 5, ''); // deleted
      if (round === 3) store.delete('sessions/open', 1, 'new-1', 'w'); // added by one delta, deleted by a later one
      store.flush();
      const changes = latestChanges(store.takeChanges()!);
      const file = join(dir.path, `delta-${round}.snapshot`);
      const written = await writeDeltaFile(deltaContents(changes), file);
      expect(written.entries + written.deletes).toBe(changes.keys.size);
      expect(written.deletes).toBe(round === 3 ? 2 : 1);
      deltas.push(file);
    }
    // Changed after the last delta: not in the restored state.
    store.put('sum/count', 1, 1, '', -1);
    return [full.path, ...deltas];
  }

  function expectStateOfLastDelta(restored: LmdbStore): void {
    for (let k = 0; k < 2000; k++) {
      const deleted = k === 5 || k === 10 || k === 15;
      const last = [3, 2, 1].find((round) => k >= round && (k - round) % 97 === 0);
      const expected = deleted ? undefined : last !== undefined ? k * 10 + last : k;
      expect(restored.get('sum/count', k % keyGroups, k, '')).toBe(expected);
    }
    expect(restored.get('sessions/open', 1, 'new-1', 'w')).toBeUndefined();
    for (const round of [2, 3]) expect(restored.get('sessions/open', round, `new-${round}`, 'w')).toEqual({ round });
  }

  it('a full snapshot and the deltas after it restore the state at the last delta: changes, new keys and deletes', async () => {
    const { store: restored, result } = await restoreLmdbStore(await chainOfSnapshots(), { path: join(dir.path, 'restored') });
    opened.push(restored);
    expect(result.deleted).toBe(4);
    expectStateOfLastDelta(restored);
  });

  it('a chain merged into one full snapshot restores to the same state, resting between its steps', async () => {
    const chain = await chainOfSnapshots();
    const rests: number[] = [];
    const merged = await mergeSnapshotChain(chain, join(dir.path, 'merged.snapshot'), { rest: async (ms) => void rests.push(ms), cancelled: () => false });
    expect(rests.length).toBeGreaterThanOrEqual(chain.length);
    // 2000 keys, 3 deleted, 2 added and one of them deleted again.
    expect(merged.entries).toBe(2000 - 3 + 2);
    expect(merged.states).toEqual({ 'sum/count': 1997, 'sessions/open': 2 });
    const summary = await readSnapshotSummary(merged.path);
    expect(summary.entries).toBe(merged.entries);
    const { store: restored, result } = await restoreLmdbStore(merged.path, { path: join(dir.path, 'restored') });
    opened.push(restored);
    expect(result.deleted).toBe(0);
    expectStateOfLastDelta(restored);
  });

  it('a merge takes files that hold tuples (written before LMDB snapshots held pairs) beside ones that hold pairs', async () => {
    const chain = await chainOfSnapshots();
    // The same full snapshot, as tuples: what an LMDB snapshot held before.
    const base = await restoreLmdbStore(chain[0], { path: join(dir.path, 'base') });
    opened.push(base.store);
    const tuples = await snapshotStoreStates(base.store, ['sum/count', 'sessions/open'], join(dir.path, 'tuples.snapshot'), 'lmdb');
    const merged = await mergeSnapshotChain([tuples.path, ...chain.slice(1)], join(dir.path, 'merged.snapshot'), { rest: async () => {}, cancelled: () => false });
    expect(merged.entries).toBe(2000 - 3 + 2);
    const { store: restored } = await restoreLmdbStore(merged.path, { path: join(dir.path, 'restored') });
    opened.push(restored);
    expectStateOfLastDelta(restored);
  });

  it('a delta from takeSnapshotChanges holds the cache\'s dirty entries without writing them to LMDB, and restores the state at the cut', async () => {
    const store = lmdbStore('live', 500);
    for (let k = 0; k < 2000; k++) store.put('sum/count', k % keyGroups, k, '', k);
    const full = await snapshotLmdbStore(store, join(dir.path, 'full.snapshot'));
    store.takeChanges();
    // Evicted to LMDB (logged), and still dirty in the cache (not in LMDB), and a delete of each kind.
    for (let k = 0; k < 1000; k++) store.put('sum/count', k % keyGroups, k, '', -k - 1);
    store.delete('sum/count', 7, 7, '');
    store.put('sessions/open', 1, 'new', 'w', { open: true });
    const dirty = store.dirtyEntries();
    expect(dirty).toBeGreaterThan(0);
    const delta = await writeDeltaFile(deltaContents(latestChanges(store.takeSnapshotChanges()!)), join(dir.path, 'delta.snapshot'));
    expect(delta.entries + delta.deletes).toBe(1001);
    expect(store.dirtyEntries()).toBe(dirty); // still to be written back
    // The next cut logs only what changed since this one, not every entry still dirty.
    store.put('sum/count', 999 % keyGroups, 999, '', 999_999);
    expect(latestChanges(store.takeSnapshotChanges()!).keys.size).toBe(1);
    store.put('sum/count', 1, 1, '', 12345); // after the cut
    const { store: restored } = await restoreLmdbStore([full.path, delta.path], { path: join(dir.path, 'restored') });
    opened.push(restored);
    for (let k = 0; k < 2000; k++) expect(restored.get('sum/count', k % keyGroups, k, '')).toBe(k === 7 ? undefined : k < 1000 ? -k - 1 : k); // the delta before 999's change
    expect(restored.get('sessions/open', 1, 'new', 'w')).toEqual({ open: true });
  });

  it('a cancelled merge, and one over a damaged delta, leave no file behind', async () => {
    const chain = await chainOfSnapshots();
    const out = join(dir.path, 'merged.snapshot');
    await expect(mergeSnapshotChain(chain, out, { rest: async () => {}, cancelled: () => true })).rejects.toBeInstanceOf(MergeCancelled);
    expect(existsSync(out)).toBe(false);
    truncateSync(chain[2], 40);
    await expectWeirError(mergeSnapshotChain(chain, out, { rest: async () => {}, cancelled: () => false }), 'WEIR_STATE', /delta-2\.snapshot/);
    expect(existsSync(out)).toBe(false);
  });
});
