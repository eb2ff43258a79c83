/**
 * Map state (Flink's MapState) over one stored value: the key's pairs. Part of keyed-state.ts's
 * state primitives, with its rules: a stored array is never changed in place, and only what is
 * added is checked (the rest was checked when it was stored).
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
 * Map state over a stored array of pairs. Lookups use an index (stored key → position) built once
 * per stored array and remembered in a WeakMap: arrays are never changed after they are stored,
 * so an index stays valid for as long as its array is the stored value. Arrays with the same keys
 * at the same positions share one index (indexes are never changed either).
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
    this.putAll([[key, value]]);
  }

  putAll(entries: Iterable<[MK, MV]>): void {
    const pairs = this.pairs();
    const next: Pairs<MK, MV> = pairs ? pairs.slice() : [];
    // Replacing values leaves every position as it was, so the new array shares the old one's
    // index; only a new key needs an index of its own (copied once, on the first new key).
    let index = pairs ? indexOf(pairs) : new Map<StoredKey, number>();
    let indexShared = pairs !== undefined;
    let changed = false;
    for (const [key, value] of entries) {
      const id = storedKey(key);
      const at = index.get(id);
      const pair: [MK, MV] = [key, value];
      this.checkPair(pair, `[${at ?? next.length}]`);
      if (at === undefined) {
        if (indexShared) {
          index = new Map(index);
          indexShared = false;
        }
        index.set(id, next.length);
        next.push(pair);
      } else {
        next[at] = pair;
      }
      changed = true;
    }
    if (!changed) return;
    StoredMap.indexes.set(next, index);
    this.cell.write(next, true);
  }

  remove(key: MK): void {
    const pairs = this.pairs();
    const at = pairs && indexOf(pairs).get(storedKey(key));
    if (at === undefined) return;
    if (pairs!.length === 1) return this.cell.clear();
    this.cell.write(pairs!.filter((_, i) => i !== at), true);
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
