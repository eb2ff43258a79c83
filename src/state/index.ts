// Keyed state: the store contract, its two backends, the state primitives and timers.
export { storedKey, type StateEntry, type StateStore, type StoredKey } from './store.ts';
export { HeapStore } from './heap-store.ts';
export { LmdbStore, openLmdbStore, type LmdbStoreOptions } from './lmdb-store.ts';
export { KeyedState } from './keyed-state.ts';
export { Timers } from './timers.ts';
