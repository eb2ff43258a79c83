/**
 * Values addressed by a store entry's (state, keyGroup, key, namespace), for the heap backend and
 * the write-back cache.
 *
 * Found without building a composite string per access (building, flattening and hashing one was
 * the largest cost of a cached read): a Map per state and key group, and in it
 *   plain       namespace '': the key itself (a number and a string never collide in a Map)
 *   namespaced  any other namespace: a string made of the key and the namespace
 * A state's key groups are an array indexed by key group, and the last state looked up is
 * remembered: an operator reads and writes one state several times in a row (measured: 69 ns a
 * get with a Map per state of Maps per key group, against 33 for a bare Map of the same keys).
 */
import type { StoredKey } from './store.ts';

interface KeyGroupEntries<V> {
  readonly plain: Map<StoredKey, V>;
  readonly namespaced: Map<string, V>;
}

type ByKeyGroup<V> = Array<KeyGroupEntries<V> | undefined>;

export class EntryMap<V> {
  private readonly byState = new Map<string, ByKeyGroup<V>>();
  /** The state last looked up and its key groups (a state id is a long-lived string: === is a pointer compare). */
  private lastState: string | undefined;
  private lastGroups: ByKeyGroup<V> | undefined;
  private count = 0;

  /** The states that have held an entry. */
  states(): IterableIterator<string> {
    return this.byState.keys();
  }

  get size(): number {
    return this.count;
  }

  get(state: string, keyGroup: number, key: StoredKey, namespace: string): V | undefined {
    const group = this.groupsOf(state)?.[keyGroup];
    if (group === undefined) return undefined;
    return namespace === '' ? group.plain.get(key) : group.namespaced.get(namespacedId(key, namespace));
  }

  set(state: string, keyGroup: number, key: StoredKey, namespace: string, value: V): void {
    const group = this.groupOf(state, keyGroup);
    const before = namespace === '' ? group.plain.size : group.namespaced.size;
    if (namespace === '') group.plain.set(key, value);
    else group.namespaced.set(namespacedId(key, namespace), value);
    if ((namespace === '' ? group.plain.size : group.namespaced.size) !== before) this.count++;
  }

  delete(state: string, keyGroup: number, key: StoredKey, namespace: string): boolean {
    const group = this.groupsOf(state)?.[keyGroup];
    if (group === undefined) return false;
    const deleted = namespace === '' ? group.plain.delete(key) : group.namespaced.delete(namespacedId(key, namespace));
    if (deleted) this.count--;
    return deleted;
  }

  /** Every value of one state, in no particular order. */
  *valuesOf(state: string): IterableIterator<V> {
    const groups = this.byState.get(state);
    if (groups === undefined) return;
    for (const group of groups) {
      if (group === undefined) continue;
      yield* group.plain.values();
      yield* group.namespaced.values();
    }
  }

  // Emptied maps are kept: a key group that empties and refills (timers) would otherwise allocate
  // them again each time, and there are at most states × key groups of them.
  private groupOf(state: string, keyGroup: number): KeyGroupEntries<V> {
    let groups = this.groupsOf(state);
    if (groups === undefined) {
      this.byState.set(state, (groups = []));
      this.lastState = state;
      this.lastGroups = groups;
    }
    let group = groups[keyGroup];
    if (group === undefined) groups[keyGroup] = group = { plain: new Map(), namespaced: new Map() };
    return group;
  }

  private groupsOf(state: string): ByKeyGroup<V> | undefined {
    if (state === this.lastState) return this.lastGroups;
    const groups = this.byState.get(state);
    if (groups !== undefined) {
      this.lastState = state;
      this.lastGroups = groups;
    }
    return groups;
  }
}

/** The key's type and length are written, so no key and namespace can forge another pair's id. */
function namespacedId(key: StoredKey, namespace: string): string {
  return typeof key === 'number' ? `n${key}:${namespace}` : `s${key.length}:${key}${namespace}`;
}
