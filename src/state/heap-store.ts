/**
 * Keyed state on the JavaScript heap: a Map per state, addressed by (keyGroup, key, namespace).
 * For small state and tests; nothing survives the process. Values are kept as given (no copy),
 * which is why callers must not mutate a value after putting it.
 */
import { checkStorable, compareStoredKeys, entryId } from './storable.ts';
import type { StateEntry, StateStore, StoredKey } from './store.ts';

export class HeapStore implements StateStore {
  private readonly states = new Map<string, Map<string, StateEntry>>();
  private readonly operatorNameOf?: (state: string) => string;

  constructor(opts: { operatorNameOf?: (state: string) => string } = {}) {
    this.operatorNameOf = opts.operatorNameOf;
  }

  get(state: string, keyGroup: number, key: StoredKey, namespace: string): unknown {
    return this.states.get(state)?.get(entryId(keyGroup, key, namespace))?.value;
  }

  put(state: string, keyGroup: number, key: StoredKey, namespace: string, value: unknown): void {
    checkStorable(state, key, value, this.operatorNameOf);
    let entries = this.states.get(state);
    if (!entries) this.states.set(state, (entries = new Map()));
    const id = entryId(keyGroup, key, namespace);
    const entry = entries.get(id);
    if (entry) entry.value = value;
    else entries.set(id, { state, keyGroup, key, namespace, value });
  }

  delete(state: string, keyGroup: number, key: StoredKey, namespace: string): void {
    const entries = this.states.get(state);
    if (!entries) return;
    entries.delete(entryId(keyGroup, key, namespace));
    if (entries.size === 0) this.states.delete(state);
  }

  /**
   * In (keyGroup, key, namespace) order, so `after` resumes where a previous scan stopped even when
   * that entry has since been deleted. The order is taken from a snapshot of the keys (a sort per
   * call: fine for the small states this backend is for); values are read as each entry is
   * reached, so changes made while iterating are seen and deleted entries are skipped.
   */
  *entries(state: string, after?: { keyGroup: number; key: StoredKey; namespace: string }): Iterable<StateEntry> {
    const entries = this.states.get(state);
    if (!entries) return;
    const snapshot = [...entries.values()].filter((e) => !after || compareEntries(e, after) > 0).sort(compareEntries);
    for (const { keyGroup, key, namespace } of snapshot) {
      const current = this.states.get(state)?.get(entryId(keyGroup, key, namespace));
      if (current) yield { state, keyGroup, key, namespace, value: current.value };
    }
  }

  flush(): void {}

  close(): void {}

  stats(): { cachedEntries: number; diskBytes: number } {
    let cachedEntries = 0;
    for (const entries of this.states.values()) cachedEntries += entries.size;
    return { cachedEntries, diskBytes: 0 };
  }
}

type EntryPosition = { keyGroup: number; key: StoredKey; namespace: string };

function compareEntries(a: EntryPosition, b: EntryPosition): number {
  if (a.keyGroup !== b.keyGroup) return a.keyGroup - b.keyGroup;
  const byKey = compareStoredKeys(a.key, b.key);
  if (byKey !== 0) return byKey;
  return a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0;
}
