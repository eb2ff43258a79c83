/**
 * Keyed state on the JavaScript heap, addressed by (state, keyGroup, key, namespace) (entry-map.ts).
 * For small state and tests; nothing survives the process. Values are kept as given (no copy),
 * which is why callers change a value only to put it again at once (see StateStore.put).
 */
import { EntryMap } from './entry-map.ts';
import { checkStorable, compareStoredKeys } from './storable.ts';
import type { StateEntry, StateStore, StoredKey } from './store.ts';

export class HeapStore implements StateStore {
  private readonly entryMap = new EntryMap<StateEntry>();
  private readonly operatorNameOf?: (state: string) => string;
  private readonly flushListeners: Array<() => void> = [];

  constructor(opts: { operatorNameOf?: (state: string) => string } = {}) {
    this.operatorNameOf = opts.operatorNameOf;
  }

  get(state: string, keyGroup: number, key: StoredKey, namespace: string): unknown {
    return this.entryMap.get(state, keyGroup, key, namespace)?.value;
  }

  put(state: string, keyGroup: number, key: StoredKey, namespace: string, value: unknown, checked = false): void {
    if (!checked) checkStorable(state, key, value, this.operatorNameOf);
    const entry = this.entryMap.get(state, keyGroup, key, namespace);
    if (entry) entry.value = value;
    else this.entryMap.set(state, keyGroup, key, namespace, { state, keyGroup, key, namespace, value });
  }

  delete(state: string, keyGroup: number, key: StoredKey, namespace: string): void {
    this.entryMap.delete(state, keyGroup, key, namespace);
  }

  /**
   * In (keyGroup, key, namespace) order, so `after` resumes where a previous scan stopped even when
   * that entry has since been deleted. The order is taken from a snapshot of the keys (a sort per
   * call: fine for the small states this backend is for); values are read as each entry is
   * reached, so changes made while iterating are seen and deleted entries are skipped.
   */
  *entries(state: string, after?: { keyGroup: number; key: StoredKey; namespace: string }): Iterable<StateEntry> {
    const snapshot = [...this.entryMap.valuesOf(state)].filter((e) => !after || compareEntries(e, after) > 0).sort(compareEntries);
    for (const { keyGroup, key, namespace } of snapshot) {
      const current = this.entryMap.get(state, keyGroup, key, namespace);
      if (current) yield { state, keyGroup, key, namespace, value: current.value };
    }
  }

  /** Every state id that has held an entry (a snapshot of this backend needs them: see state-snapshot.ts). */
  stateIds(): string[] {
    this.flush(); // timers put their state at flush
    return [...this.entryMap.states()];
  }

  flush(): void {
    for (const beforeFlush of this.flushListeners) beforeFlush();
  }

  onFlush(beforeFlush: () => void): void {
    this.flushListeners.push(beforeFlush);
  }

  close(): void {
    this.flush();
  }

  discard(): void {}

  stats(): { cachedEntries: number; diskBytes: number } {
    return { cachedEntries: this.entryMap.size, diskBytes: 0 };
  }
}

type EntryPosition = { keyGroup: number; key: StoredKey; namespace: string };

function compareEntries(a: EntryPosition, b: EntryPosition): number {
  if (a.keyGroup !== b.keyGroup) return a.keyGroup - b.keyGroup;
  const byKey = compareStoredKeys(a.key, b.key);
  if (byKey !== 0) return byKey;
  return a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0;
}
