import type { ValueState } from '../api/functions.ts';

/**
 * Keyed state on the JavaScript heap, scoped to the current key: the operator sets the key before
 * each record, and every state handle reads and writes that key's slot.
 */
export class HeapKeyedState {
  private currentKey: unknown;
  private readonly stores = new Map<string, Map<unknown, unknown>>();
  private readonly handles = new Map<string, ValueState<unknown>>();

  setCurrentKey(key: unknown): void {
    this.currentKey = normaliseKey(key);
  }

  valueState<S>(name: string): ValueState<S> {
    let handle = this.handles.get(name);
    if (!handle) {
      const store = new Map<unknown, unknown>();
      this.stores.set(name, store);
      handle = {
        value: () => store.get(this.currentKey),
        update: (value: unknown) => void store.set(this.currentKey, value),
        clear: () => void store.delete(this.currentKey),
      };
      this.handles.set(name, handle);
    }
    return handle as ValueState<S>;
  }

  /** Number of keys with a value, over all states. */
  size(): number {
    let n = 0;
    for (const store of this.stores.values()) n += store.size;
    return n;
  }
}

/** Map keys compare by identity: objects and arrays are keyed by their JSON form. */
function normaliseKey(key: unknown): unknown {
  return typeof key === 'object' && key !== null ? JSON.stringify(key) : key;
}
