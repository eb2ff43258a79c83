import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stateBackends, type StateBackendKind } from '../../src/snapshot/backends.ts';
import { restoreIntoStore } from '../../src/snapshot/state-restore.ts';
import type { StateEntry, StateStore } from '../../src/state/store.ts';
import { tempDirsPerTest } from '../helpers.ts';

const entriesOf = (store: StateStore, state: string): StateEntry[] => [...store.entries(state)];

describe('each state backend brings its store and its snapshots', () => {
  const makeDir = tempDirsPerTest('weir-backends-');
  for (const kind of Object.keys(stateBackends) as StateBackendKind[]) {
    it(`${kind}: a store it opened, snapshotted by it, restores into a fresh store of either backend`, async () => {
      const dir = makeDir();
      const backend = stateBackends[kind];
      expect(backend.kind).toBe(kind);
      const store = backend.open({ path: join(dir, 'a') });
      for (let k = 0; k < 500; k++) store.put('op/counts', k % 16, `key-${k}`, '', { n: k });
      store.delete('op/counts', 3, 'key-3', '');
      store.flush();
      const file = join(dir, 'snapshot');
      const written = await backend.snapshot(store, file);
      expect(written.bytes).toBeGreaterThan(0);
      for (const into of Object.values(stateBackends)) {
        const fresh = into.open({ path: join(dir, `restored-${into.kind}`) });
        await restoreIntoStore(fresh, [file]);
        into.afterRestore(fresh);
        expect(entriesOf(fresh, 'op/counts').map((e) => [e.key, e.value]).sort()).toEqual(entriesOf(store, 'op/counts').map((e) => [e.key, e.value]).sort());
        expect(entriesOf(fresh, 'op/counts')).toHaveLength(499);
        fresh.close();
      }
      store.close();
    });
  }
});
