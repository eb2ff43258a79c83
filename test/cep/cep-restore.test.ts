// A new CEP operator meeting a store that already holds buffered records — as after a restore —
// queues their keys again (src/cep/cep-held-keys.ts rebuilds the queue of due keys from
// 'cep-buffer'), and a checkpoint of an earlier version, which held an event-time timer per key
// and [timestampMs, record] pairs only, gives the same results.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cepOperator } from '../../src/cep/cep-operator.ts';
import { compileNfa } from '../../src/cep/nfa-compiler.ts';
import { keyGroupOf } from '../../src/runtime/keys.ts';
import { HeapStore } from '../../src/state/heap-store.ts';
import { LmdbStore } from '../../src/state/lmdb-store.ts';
import type { StateStore } from '../../src/state/store.ts';
import { KeyedOperatorHarness } from '../keyed-harness.ts';
import { aThenB, recordingFunction, type Emitted, type Ev } from './cep-helpers.ts';

const ev = (k: string, t: string, ts: number, i: number): Ev => ({ k, t, v: 0, ts, i });

/** The harness's operator name is its uid: its states are `under-test/<name>`. */
const uid = 'under-test';

function storeOf(backend: 'heap' | 'lmdb'): StateStore {
  if (backend === 'heap') return new HeapStore();
  const dir = mkdtempSync(join(tmpdir(), 'weir-cep-restore-'));
  const store = new LmdbStore({ path: dir, cacheEntriesMax: 16 });
  onTestFinished(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

const operatorOn = (store: StateStore) => new KeyedOperatorHarness<Ev, string, Emitted>(cepOperator(compileNfa(aThenB()), recordingFunction, 'late'), { store, keyOf: (e) => e.k });

describe('CEP on a store that holds buffered records', () => {
  for (const backend of ['heap', 'lmdb'] as const) {
    it(`${backend}: a new operator queues the stored keys again and feeds their records when the watermark passes`, () => {
      const store = storeOf(backend);
      const before = operatorOn(store);
      // k: a (starts a match), c (starts nothing), b; j: c, d only (nothing starts: fed late).
      for (const e of [ev('k', 'a', 1000, 0), ev('j', 'c', 1000, 1), ev('k', 'c', 1001, 2), ev('j', 'd', 1002, 3), ev('k', 'b', 1003, 4)]) before.element(e.k, e, e.ts);
      before.advanceWatermark(999);
      expect(before.stateEntries()).toBe(2); // both buffers, put into the store
      store.flush();
      expect(before.values()).toEqual([]);

      const after = operatorOn(store);
      after.advanceWatermark(1002);
      expect(after.values()).toEqual([]);
      after.advanceWatermark(1003);
      expect(after.values()).toEqual([{ kind: 'match', key: 'k', events: '0:a 4:b' }]);
      after.end();
      expect(after.values()).toHaveLength(1);
      expect(after.stateEntries()).toBe(0);
    });

    it(`${backend}: a checkpoint of an earlier version (a timer per key, pairs in the buffer) gives the same matches once`, () => {
      const store = storeOf(backend);
      const keyGroup = keyGroupOf('k', 128);
      store.put(`${uid}/cep-buffer`, keyGroup, 'k', '', [
        [1000, ev('k', 'a', 1000, 0)],
        [1001, ev('k', 'c', 1001, 2)],
        [1003, ev('k', 'b', 1003, 4)],
      ]);
      store.put(`${uid}/__timers/event-time`, keyGroup, 'k', '1000', 'k');
      store.flush();

      const after = operatorOn(store);
      after.advanceWatermark(1000);
      expect(after.values()).toEqual([]);
      after.advanceWatermark(1003);
      expect(after.values()).toEqual([{ kind: 'match', key: 'k', events: '0:a 4:b' }]);
      after.end();
      expect(after.values()).toHaveLength(1);
      expect(after.pendingTimers()).toBe(0);
      expect(after.stateEntries()).toBe(0);
    });
  }
});
