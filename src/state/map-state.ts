/**
 * Map state (Flink's MapState) over one stored value per key, a MapStateValue. Part of
 * keyed-state.ts's state primitives, with its rules: only what is added is checked (the rest was
 * checked when it was stored), and a change is put back into the store before the call returns.
 *
 * The stored value is changed in place and put back, as an accumulator is: no one else holds it.
 * The store keeps it until the next write-back or snapshot, which encode it when they run, and
 * what the user gets (keys, values, entries) are copies.
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

type Pairs = Array<[unknown, unknown]>;

/**
 * A key's map: a JavaScript Map from the stored form of each map key (storedKey) to its value, in
 * the order the keys were first put. A key whose stored form is not the key itself (an object, a
 * bigint, NaN) is kept beside it, the one last put, so keys() gives back what was put. (-0 comes
 * back as 0, as a Map and msgpack both give it.)
 *
 * It is encoded — msgpack at a write-back or a snapshot, JSON in a state query — through toJSON,
 * as the array of [key, value] pairs in that order: the form map state has always been stored
 * in. What a restore or an LMDB read decodes is therefore that array; StoredMap turns it back into
 * a MapStateValue when it is first used.
 *
 * Why not keep the pairs array itself with an index beside it, as before: a look-up went through
 * the index to a position, the position to a pair, the pair to its value, each a read of another
 * object. In q16 (two maps per group, up to 23 K entries each) `get` had 0.9 s of a worker's
 * 6.2 s of samples; a JavaScript Map holds a number value in its own table.
 */
export class MapStateValue {
  readonly values = new Map<StoredKey, unknown>();
  /** The put key of each entry whose stored form is not the key itself. */
  private putKeys: Map<StoredKey, unknown> | undefined;
  /** The pairs toJSON gave last, while entries have only been added since (see toJSON). */
  private encoded: Pairs | undefined;

  static fromPairs(pairs: Pairs): MapStateValue {
    const map = new MapStateValue();
    for (const [key, value] of pairs) map.set(storedKey(key), key, value);
    return map;
  }

  get size(): number {
    return this.values.size;
  }

  set(id: StoredKey, key: unknown, value: unknown): void {
    const size = this.values.size;
    this.values.set(id, value);
    if (this.values.size === size) this.encoded = undefined; // an entry changed: its pair is out of date
    if (id !== key) (this.putKeys ??= new Map()).set(id, key);
    else this.putKeys?.delete(id);
  }

  delete(id: StoredKey): void {
    this.values.delete(id);
    this.encoded = undefined;
    this.putKeys?.delete(id);
  }

  keyOf(id: StoredKey): unknown {
    return this.putKeys !== undefined && this.putKeys.has(id) ? this.putKeys.get(id) : id;
  }

  /** The position of `id` among the entries (the size when it has none): where a pair sits in the encoded form. */
  positionOf(id: StoredKey): number {
    let at = 0;
    for (const k of this.values.keys()) {
      if (k === id) return at;
      at++;
    }
    return at;
  }

  /**
   * The pairs, for an encoder, which reads them at once. A map that only grows (a join's buffer,
   * an index) is written back whole at every flush of an LMDB store: the pairs made for the last
   * encoding are kept and only those of the entries added since are made. Making every pair again
   * at each flush cost a map growing to 200 000 entries on LMDB nearly half its rate of puts (npm
   * run bench:state).
   */
  toJSON(): Pairs {
    const pairs = (this.encoded ??= []);
    const known = pairs.length;
    let at = 0;
    this.values.forEach((value, id) => {
      if (at++ >= known) pairs.push([this.keyOf(id), value]);
    });
    return pairs;
  }

  /** The pairs, new ones: for a caller that may keep or change them. */
  copyPairs(): Pairs {
    const pairs: Pairs = new Array(this.values.size);
    let at = 0;
    this.values.forEach((value, id) => void (pairs[at++] = [this.keyOf(id), value]));
    return pairs;
  }
}

/** A map state's stored value as pairs (a state query answers with them). */
export const mapStatePairs = (stored: unknown): unknown => (stored instanceof MapStateValue ? stored.copyPairs() : stored);

/** Checks one pair as it will sit in the stored value (at the path `pathOf` names, asked for only when the pair fails). */
export type PairCheck = (pair: [unknown, unknown], pathOf: () => string) => void;

export class StoredMap<MK, MV> implements MapState<MK, MV> {
  /** Decoded pairs (see MapStateValue) and what they became, until a change stores that instead. */
  private static readonly fromPairs = new WeakMap<Pairs, MapStateValue>();

  constructor(
    private readonly cell: StoredCell,
    private readonly checkPair: PairCheck,
  ) {}

  get(key: MK): MV | undefined {
    return this.stored()?.values.get(storedKey(key)) as MV | undefined;
  }

  put(key: MK, value: MV): void {
    const map = this.stored() ?? new MapStateValue();
    const id = storedKey(key);
    this.checkPair([key, value], () => `[${map.positionOf(id)}]`);
    map.set(id, key, value);
    this.cell.write(map, true);
  }

  putAll(entries: Iterable<[MK, MV]>): void {
    const map = this.stored() ?? new MapStateValue();
    // Every pair is checked before the stored value changes: a bad one leaves the map as it was.
    const added: Array<{ id: StoredKey; key: MK; value: MV }> = [];
    const newAt = new Map<StoredKey, number>();
    for (const [key, value] of entries) {
      const id = storedKey(key);
      if (!map.values.has(id) && !newAt.has(id)) newAt.set(id, map.size + newAt.size);
      this.checkPair([key, value], () => `[${newAt.get(id) ?? map.positionOf(id)}]`);
      added.push({ id, key, value });
    }
    if (added.length === 0) return;
    for (const { id, key, value } of added) map.set(id, key, value);
    this.cell.write(map, true);
  }

  remove(key: MK): void {
    const map = this.stored();
    const id = storedKey(key);
    if (map === undefined || !map.values.has(id)) return;
    if (map.size === 1) return this.cell.clear();
    map.delete(id);
    this.cell.write(map, true);
  }

  contains(key: MK): boolean {
    return this.stored()?.values.has(storedKey(key)) ?? false;
  }

  keys(): MK[] {
    const map = this.stored();
    return map === undefined ? [] : Array.from(map.values.keys(), (id) => map.keyOf(id) as MK);
  }

  values(): MV[] {
    return Array.from(this.stored()?.values.values() ?? []) as MV[];
  }

  entries(): Array<[MK, MV]> {
    return (this.stored()?.copyPairs() ?? []) as Array<[MK, MV]>;
  }

  size(): number {
    return this.stored()?.size ?? 0;
  }

  isEmpty(): boolean {
    return this.size() === 0;
  }

  clear(): void {
    this.cell.clear();
  }

  private stored(): MapStateValue | undefined {
    const stored = this.cell.read();
    if (stored === undefined || stored instanceof MapStateValue) return stored;
    const pairs = stored as Pairs;
    let map = StoredMap.fromPairs.get(pairs);
    if (map === undefined) StoredMap.fromPairs.set(pairs, (map = MapStateValue.fromPairs(pairs)));
    return map;
  }
}
