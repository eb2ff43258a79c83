// The state backends the tests run against, each in its own temporary directory.
import { join } from 'node:path';
import { expect } from 'vitest';
import { WeirError } from '../../src/errors.ts';
import { HeapStore } from '../../src/state/heap-store.ts';
import { LmdbStore } from '../../src/state/lmdb-store.ts';
import type { StateStore } from '../../src/state/store.ts';
import { tempDir } from '../helpers.ts';

export interface Backend {
  name: string;
  durable: boolean;
  /** A store; `reopen` closes it and opens the same data again (durable backends only). */
  open(opts?: { operatorNameOf?: (state: string) => string; mapSizeBytes?: number }): { store: StateStore; reopen(): StateStore; path?: string };
}

const opened: Array<{ close(): void }> = [];
const dirs: Array<{ remove(): void }> = [];

function lmdb(name: string, cacheEntriesMax: number): Backend {
  return {
    name,
    durable: true,
    open(opts = {}) {
      const dir = tempDir('weir-state-');
      dirs.push(dir);
      const path = join(dir.path, 'worker-0');
      const make = () => {
        const store = new LmdbStore({ path, cacheEntriesMax, ...opts });
        opened.push(store);
        return store;
      };
      let store = make();
      return {
        store,
        path,
        reopen() {
          store.close();
          return (store = make());
        },
      };
    },
  };
}

export const backends: Backend[] = [
  {
    name: 'heap',
    durable: false,
    open(opts = {}) {
      const store = new HeapStore(opts);
      return {
        store,
        reopen() {
          throw new Error('the heap backend cannot be reopened');
        },
      };
    },
  },
  lmdb('lmdb + write-back cache', 1000),
  // A cache far smaller than the data: most operations go through eviction and write-back.
  lmdb('lmdb + tiny cache (8)', 8),
  lmdb('lmdb without cache', 0),
];

/** Closes every store opened by a test and removes the directories (afterEach). */
export function closeAll(): void {
  for (const store of opened.splice(0)) {
    try {
      store.close();
    } catch {
      // a test may leave a store that cannot flush (map full): its directory goes anyway
    }
  }
  for (const dir of dirs.splice(0)) dir.remove();
}

/** Runs `fn`, expects a WEIR_STATE error whose message contains every fragment, and returns it. */
export function expectStateError(fn: () => unknown, ...fragments: string[]): WeirError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a WEIR_STATE error').toBeInstanceOf(WeirError);
  const err = caught as WeirError;
  expect(err.code).toBe('WEIR_STATE');
  for (const f of fragments) expect(err.message).toContain(f);
  return err;
}
