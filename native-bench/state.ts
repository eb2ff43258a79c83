// Keyed-state benchmarks: operations per second of each state primitive on each backend, and
// whether state with a TTL stays bounded when every key is seen once.
// Run: node bin/run-ts.mjs native-bench/state.ts [--quick] [--ttl-keys N]   (npm run bench:state)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AggregateFunction } from '../src/functions/contracts.ts';
import { limits } from '../src/limits.ts';
import { HeapStore } from '../src/state/heap-store.ts';
import { KeyedState } from '../src/state/keyed-state.ts';
import { LmdbStore } from '../src/state/lmdb-store.ts';
import type { StateStore } from '../src/state/store.ts';
import { seededRandom } from '../src/util/random.ts';

export interface StateOpFigure {
  backend: string;
  primitive: string;
  opsPerSec: number;
}

export interface TtlFigure {
  keys: number;
  ttlMs: number;
  peakLiveEntries: number;
  finalLiveEntries: number;
  peakDiskBytes: number;
  writesPerSec: number;
}

interface Backend {
  name: string;
  open(dir: string): StateStore;
}

const backends: Backend[] = [
  { name: 'heap', open: () => new HeapStore() },
  { name: `lmdb, cache ${limits.stateCacheEntriesMax.toLocaleString('en')}`, open: (dir) => new LmdbStore({ path: dir }) },
  { name: 'lmdb, cache 10,000', open: (dir) => new LmdbStore({ path: dir, cacheEntriesMax: 10_000 }) },
  { name: 'lmdb, no cache', open: (dir) => new LmdbStore({ path: dir, cacheEntriesMax: 0 }) },
];

const average: AggregateFunction<number, { sum: number; count: number }, number> = {
  createAccumulator: () => ({ sum: 0, count: 0 }),
  add: (v, acc) => ({ sum: acc.sum + v, count: acc.count + 1 }),
  getResult: (acc) => acc.sum / acc.count,
};

/** One operation of a primitive on the current key; `i` is the operation's index. */
type Operation = (state: KeyedState, i: number) => void;

const primitives: Array<[string, (state: KeyedState) => Operation]> = [
  [
    'value: get + update',
    (s) => {
      const v = s.valueState<number>('v');
      return () => v.update((v.value() ?? 0) + 1);
    },
  ],
  [
    'list: add (cleared every 16th op)',
    (s) => {
      const l = s.listState<number>('l');
      return (_, i) => (i % 16 === 0 ? l.clear() : l.add(i));
    },
  ],
  [
    'map: put (8 map keys)',
    (s) => {
      const m = s.mapState<number, number>('m');
      return (_, i) => m.put(i & 7, i);
    },
  ],
  [
    'map: get',
    (s) => {
      const m = s.mapState<number, number>('m');
      return (_, i) => void m.get(i & 7);
    },
  ],
  [
    'reducing: add',
    (s) => {
      const r = s.reducingState<number>('r', (a, b) => a + b);
      return (_, i) => r.add(i);
    },
  ],
  [
    'aggregating: add',
    (s) => {
      const a = s.aggregatingState('a', average);
      return (_, i) => a.add(i);
    },
  ],
];


/** Keys with a hot-key skew: key ⌊keys · r³⌋, so the lowest 1 % of the keys get ~20 % of the operations. */
function skewedKeys(keys: number, ops: number, seed: number): Int32Array {
  const random = seededRandom(seed);
  const out = new Int32Array(ops);
  for (let i = 0; i < ops; i++) out[i] = Math.floor(keys * random() ** 3);
  return out;
}

/**
 * Each primitive on each backend: `ops` operations over `keys` keys, the store flushed every
 * `flushEvery` operations as epochs would. Every key is written once first (untimed), so reads
 * find state and the cache starts from the steady state. Median of `runs`.
 */
export function stateOpsBench(opts: { keys: number; ops: number; runs: number; flushEvery?: number }): StateOpFigure[] {
  const flushEvery = opts.flushEvery ?? 10_000;
  const keyOrder = skewedKeys(opts.keys, opts.ops, 42);
  const figures: StateOpFigure[] = [];
  for (const backend of backends) {
    for (const [primitive, make] of primitives) {
      const rates: number[] = [];
      for (let run = 0; run < opts.runs; run++) {
        const dir = mkdtempSync(join(tmpdir(), 'weir-bench-state-'));
        const store = backend.open(join(dir, 'worker-0'));
        const state = new KeyedState(store, 'op1', 'bench', () => 0);
        const op = make(state);
        const mapFill = primitive.startsWith('map: get') ? state.mapState<number, number>('m') : undefined;
        for (let k = 0; k < opts.keys; k++) {
          state.setCurrentKey(k, k & 127);
          if (mapFill) for (let j = 0; j < 8; j++) mapFill.put(j, j);
          else op(state, k + 1);
        }
        store.flush();
        const started = performance.now();
        for (let i = 0; i < opts.ops; i++) {
          const k = keyOrder[i];
          state.setCurrentKey(k, k & 127);
          op(state, i);
          if (i % flushEvery === flushEvery - 1) store.flush();
        }
        store.flush();
        rates.push(opts.ops / ((performance.now() - started) / 1000));
        store.close();
        rmSync(dir, { recursive: true, force: true });
      }
      figures.push({ backend: backend.name, primitive, opsPerSec: median(rates) });
    }
  }
  return figures;
}

export interface GrowthFigure {
  backend: string;
  primitive: string;
  elements: number;
  elementsPerSec: number;
}

/**
 * One key whose list (add) or map (put of a new map key) grows to `elements`, the store flushed
 * every 10 000 elements: what a join buffer or a per-key index does. An add that copied the list
 * made this O(n²). Backends with a write-back cache only: without one every add writes the whole
 * list through to LMDB, as one stored value per key must.
 */
export function growthBench(opts: { elements: number }): GrowthFigure[] {
  const growing: Array<[string, (state: KeyedState) => (i: number) => void]> = [
    [
      'list: add',
      (s) => {
        const l = s.listState<number>('l');
        return (i) => l.add(i);
      },
    ],
    [
      'map: put, a new map key each',
      (s) => {
        const m = s.mapState<number, number>('m');
        return (i) => m.put(i, i);
      },
    ],
  ];
  const figures: GrowthFigure[] = [];
  for (const backend of backends.filter((b) => !b.name.includes('no cache'))) {
    for (const [primitive, make] of growing) {
      const dir = mkdtempSync(join(tmpdir(), 'weir-bench-state-'));
      const store = backend.open(join(dir, 'worker-0'));
      const state = new KeyedState(store, 'op1', 'bench', () => 0);
      const grow = make(state);
      state.setCurrentKey(1, 1);
      const started = performance.now();
      for (let i = 0; i < opts.elements; i++) {
        grow(i);
        if (i % 10_000 === 9_999) store.flush();
      }
      store.flush();
      figures.push({ backend: backend.name, primitive, elements: opts.elements, elementsPerSec: opts.elements / ((performance.now() - started) / 1000) });
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return figures;
}

/**
 * `keys` distinct keys written once each into value state with a TTL, on LMDB with the default
 * cache. A logical clock advances 1 ms per write and the TTL is `keys / 10` ms (1 M for 10 M
 * keys), so about the last tenth of the keys is alive at any time. Every 1000 writes the runtime's
 * per-epoch work runs: one cleanup step of limits.ttlCleanupEntriesPerStep entries, and a flush.
 */
export function ttlBench(opts: { keys: number; writesPerEpoch?: number }): TtlFigure {
  const writesPerEpoch = opts.writesPerEpoch ?? 1000;
  const ttlMs = Math.max(1, Math.floor(opts.keys / 10));
  const dir = mkdtempSync(join(tmpdir(), 'weir-bench-ttl-'));
  const store = new LmdbStore({ path: join(dir, 'worker-0') });
  let nowMs = 0;
  const state = new KeyedState(store, 'op1', 'first-seen', () => nowMs);
  const firstSeen = state.valueState<number>('first-seen', { ttl: { ttlMs } });
  let live = 0;
  let peakLiveEntries = 0;
  let peakDiskBytes = 0;
  const started = performance.now();
  for (let k = 0; k < opts.keys; k++) {
    nowMs = k;
    state.setCurrentKey(k, k & 127);
    firstSeen.update(k);
    live++;
    if (k % writesPerEpoch === writesPerEpoch - 1) {
      live -= state.cleanupExpired(limits.ttlCleanupEntriesPerStep);
      store.flush();
      peakLiveEntries = Math.max(peakLiveEntries, live);
      if (k % (writesPerEpoch * 100) === writesPerEpoch * 100 - 1) peakDiskBytes = Math.max(peakDiskBytes, store.stats().diskBytes);
    }
  }
  store.flush();
  const writesPerSec = opts.keys / ((performance.now() - started) / 1000);
  peakDiskBytes = Math.max(peakDiskBytes, store.stats().diskBytes);
  let finalLiveEntries = 0;
  for (const _ of store.entries('op1/first-seen')) finalLiveEntries++;
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return { keys: opts.keys, ttlMs, peakLiveEntries, finalLiveEntries, peakDiskBytes, writesPerSec };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function formatStateOps(figures: StateOpFigure[]): string {
  const names = [...new Set(figures.map((f) => f.backend))];
  const lines = [`| primitive | ${names.join(' | ')} | cache ÷ no cache |`, `|---|${names.map(() => '---:|').join('')}---:|`];
  for (const primitive of [...new Set(figures.map((f) => f.primitive))]) {
    const rate = (backend: string) => figures.find((f) => f.primitive === primitive && f.backend === backend)!.opsPerSec;
    const speedUp = rate(names[1]) / rate(names[names.length - 1]);
    lines.push(`| ${primitive} | ${names.map((n) => `${(rate(n) / 1e6).toFixed(2)} M`).join(' | ')} | ${speedUp.toFixed(1)}× |`);
  }
  return lines.join('\n');
}

export function formatTtl(f: TtlFigure): string {
  return [
    '| keys written once | TTL (logical ms) | peak live entries | live at the end | peak data file | writes/s |',
    '|---:|---:|---:|---:|---:|---:|',
    `| ${f.keys.toLocaleString('en')} | ${f.ttlMs.toLocaleString('en')} | ${f.peakLiveEntries.toLocaleString('en')} | ${f.finalLiveEntries.toLocaleString('en')} | ${(f.peakDiskBytes / 2 ** 20).toFixed(0)} MiB | ${Math.round(f.writesPerSec).toLocaleString('en')} |`,
  ].join('\n');
}

export function formatGrowth(figures: GrowthFigure[]): string {
  const names = [...new Set(figures.map((f) => f.backend))];
  const lines = [`| primitive | elements | ${names.join(' | ')} |`, `|---|---:|${names.map(() => '---:|').join('')}`];
  for (const primitive of [...new Set(figures.map((f) => f.primitive))]) {
    const of = (backend: string) => figures.find((f) => f.primitive === primitive && f.backend === backend)!;
    lines.push(`| ${primitive} | ${of(names[0]).elements.toLocaleString('en')} | ${names.map((n) => `${(of(n).elementsPerSec / 1e6).toFixed(2)} M/s`).join(' | ')} |`);
  }
  return lines.join('\n');
}

export interface StateBenchResult {
  ops: StateOpFigure[];
  growth: GrowthFigure[];
  ttl: TtlFigure;
}

export function stateBench(opts: { quick: boolean; ttlKeys?: number }): StateBenchResult {
  const ops = opts.quick ? stateOpsBench({ keys: 10_000, ops: 20_000, runs: 1 }) : stateOpsBench({ keys: 100_000, ops: 300_000, runs: 3 });
  const growth = growthBench({ elements: opts.quick ? 20_000 : 200_000 });
  const ttl = ttlBench({ keys: opts.ttlKeys ?? (opts.quick ? 200_000 : 10_000_000) });
  return { ops, growth, ttl };
}

export function formatStateBench(result: StateBenchResult, opsLabel: string): string {
  return [
    `### State operations/s (${opsLabel}, hot-key skew, flush every 10,000 ops)\n`,
    formatStateOps(result.ops),
    '\n### One key whose list or map grows (flush every 10,000 elements)\n',
    formatGrowth(result.growth),
    '\n### State with a TTL, every key seen once\n',
    formatTtl(result.ttl),
  ].join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const quick = process.argv.includes('--quick');
  const at = process.argv.indexOf('--ttl-keys');
  const ttlKeys = at > 0 ? Number(process.argv[at + 1]) : undefined;
  if (ttlKeys !== undefined && !(Number.isInteger(ttlKeys) && ttlKeys > 0)) throw new Error('--ttl-keys needs a positive integer');
  const result = stateBench({ quick, ttlKeys });
  console.log(formatStateBench(result, quick ? '10,000 keys, 20,000 ops, 1 run' : '100,000 keys, 300,000 ops, median of 3 runs'));
}
