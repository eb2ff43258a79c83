/**
 * Map state (Flink's MapState) over one stored value: the key's pairs, in the order their keys were
 * first put. Part of keyed-state.ts's state primitives, with its rules: only what is added is
 * checked (the rest was checked when it was stored), and a change is put back into the store
 * before the call returns.
 *
 * The stored array is changed in place and put back, as an accumulator is. It used to be copied
 * on every put, and its index with it on every new key: building a map of n entries cost O(n²)
 * (one key with 10 K entries took 5.3 s, 40 K took 107 s). No one else holds the array: the store
 * keeps it until the next write-back or snapshot, which encode it when they run, and what the
 * user gets (keys, values, entries) are copies.
 */
import type { MapState } from '../functions/contracts.ts';
import { storedKey, type StoredKey } from './store.ts';

/** One state's stored value for the current key (keyed-state.ts's StateCell). */
export interface StoredCell {
  read(): unknown;
  /** `checked`: every part of `value` has been checked already (see StateStore.put). */
  write(value: unknown, checked?: boolean): void;
  clear(): void;
}

type Pairs<MK, MV> = Array<[MK, MV]>;

/**
 * Map state over a stored array of pairs. Lookups use an index (stored key → position), built
 * when an array is first looked at and kept beside it in a WeakMap, changed with the array. A
 * removal keeps the order of the rest: it drops the index, rebuilt at the next look-up (removals
 * come in runs — a join's buffer expiring — and one rebuild serves the run).
 */
export class StoredMap<MK, MV> implements MapState<MK, MV> {
  private static readonly indexes = new WeakMap<object, Map<StoredKey, number>>();

  constructor(
    private readonly cell: StoredCell,
    /** Checks one pair as it will sit in the stored array (at `path`), before anything is written. */
    private readonly checkPair: (pair: [unknown, unknown], path: string) => void,
  ) {}

  get(key: MK): MV | undefined {
    const pairs = this.pairs();
    const at = pairs && indexOf(pairs).get(storedKey(key));
    return at === undefined ? undefined : pairs![at][1];
  }

  put(key: MK, value: MV): void {
    const pair: [MK, MV] = [key, value];
    const pairs = this.pairs() ?? [];
    const index = indexOf(pairs);
    const id = storedKey(key);
    this.checkPair(pair, `[${index.get(id) ?? pairs.length}]`);
    place(pairs, index, id, pair);
    this.cell.write(pairs, true);
  }

  putAll(entries: Iterable<[MK, MV]>): void {
    const pairs = this.pairs() ?? [];
    const index = indexOf(pairs);
    // Every pair is checked before the stored array changes: a bad one leaves the map as it was.
    const added: Array<{ id: StoredKey; pair: [MK, MV] }> = [];
    const newAt = new Map<StoredKey, number>();
    for (const [key, value] of entries) {
      const id = storedKey(key);
      const pair: [MK, MV] = [key, value];
      let at = index.get(id) ?? newAt.get(id);
      if (at === undefined) newAt.set(id, (at = pairs.length + newAt.size));
      this.checkPair(pair, `[${at}]`);
      added.push({ id, pair });
    }
    if (added.length === 0) return;
    for (const { id, pair } of added) place(pairs, index, id, pair);
    this.cell.write(pairs, true);
  }

  remove(key: MK): void {
    const pairs = this.pairs();
    if (pairs === undefined) return;
    const index = indexOf(pairs);
    const id = storedKey(key);
    const at = index.get(id);
    if (at === undefined) return;
    if (pairs.length === 1) return this.cell.clear();
    pairs.splice(at, 1);
    if (at === pairs.length) index.delete(id);
    else StoredMap.indexes.delete(pairs); // the later entries moved: see the class comment
    this.cell.write(pairs, true);
  }

  contains(key: MK): boolean {
    const pairs = this.pairs();
    return pairs !== undefined && indexOf(pairs).has(storedKey(key));
  }

  keys(): MK[] {
    return (this.pairs() ?? []).map((p) => p[0]);
  }

  values(): MV[] {
    return (this.pairs() ?? []).map((p) => p[1]);
  }

  entries(): Array<[MK, MV]> {
    return (this.pairs() ?? []).map((p) => [p[0], p[1]]);
  }

  size(): number {
    return this.pairs()?.length ?? 0;
  }

  isEmpty(): boolean {
    return this.size() === 0;
  }

  clear(): void {
    this.cell.clear();
  }

  private pairs(): Pairs<MK, MV> | undefined {
    return this.cell.read() as Pairs<MK, MV> | undefined;
  }

  static indexOf(pairs: Pairs<unknown, unknown>): Map<StoredKey, number> {
    let index = StoredMap.indexes.get(pairs);
    if (!index) {
      index = new Map();
      for (let i = 0; i < pairs.length; i++) index.set(storedKey(pairs[i][0]), i);
      StoredMap.indexes.set(pairs, index);
    }
    return index;
  }
}

const indexOf = (pairs: Pairs<unknown, unknown>) => StoredMap.indexOf(pairs);

/** Puts `pair` (whose key's stored form is `id`) in its place: over the pair of that key, or at the end. */
function place<MK, MV>(pairs: Pairs<MK, MV>, index: Map<StoredKey, number>, id: StoredKey, pair: [MK, MV]): void {
  const at = index.get(id);
  if (at === undefined) {
    index.set(id, pairs.length);
    pairs.push(pair);
  } else {
    pairs[at] = pair;
  }
}
