// The snapshot thread serves one worker task after another (lmdb-snapshotter.ts: idleThread).
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Doorbells } from '../../src/channel/doorbell.ts';
import { LmdbSnapshotter, type WrittenState } from '../../src/snapshot/lmdb-snapshotter.ts';
import { restoreIntoStore } from '../../src/snapshot/state-restore.ts';
import { openLmdbStore, type LmdbStore } from '../../src/state/lmdb-store.ts';
import type { StateStore } from '../../src/state/store.ts';
import { tempDirsPerTest } from '../helpers.ts';

/** Takes a snapshot as a worker does: its reply is taken by poll(). */
async function snapshot(snapshotter: LmdbSnapshotter, store: LmdbStore, dir: string, name: string): Promise<WrittenState> {
  let settled = false;
  const written = snapshotter.snapshot(store, dir, name);
  written.then(() => (settled = true), () => (settled = true));
  while (!settled) {
    snapshotter.poll();
    await sleep(2);
  }
  return written;
}

const contents = (store: StateStore) => [...store.entries('op/counts')].map((e) => [e.key, e.value]).sort();

describe('the LMDB snapshot thread of a worker thread', () => {
  const makeDir = tempDirsPerTest('weir-snapshotter-');

  it('serves the next task at once after a session closed, with a chain of its own', async () => {
    const dir = makeDir();
    const doorbells = new Doorbells(new SharedArrayBuffer(Doorbells.byteLength(1)), 0, 1);

    const first = new LmdbSnapshotter(doorbells.address(0));
    await first.started;
    expect(first.ready).toBe(true);
    const a = openLmdbStore({ path: join(dir, 'a') }) as LmdbStore;
    for (let k = 0; k < 200; k++) a.put('op/counts', k % 8, `key-${k}`, '', { n: k });
    // Written back first: entries a full snapshot flushes are logged again for the next delta.
    a.flush();
    expect((await snapshot(first, a, dir, 'a-1.snapshot')).delta).toBe(false);
    a.put('op/counts', 1, 'key-1', '', { n: -1 });
    expect((await snapshot(first, a, dir, 'a-2.snapshot')).delta).toBe(true);
    await first.close();
    a.close();

    const second = new LmdbSnapshotter(doorbells.address(0));
    await second.started;
    expect(second.threadId).toBe(first.threadId);
    const b = openLmdbStore({ path: join(dir, 'b') }) as LmdbStore;
    for (let k = 0; k < 50; k++) b.put('op/counts', k % 8, `other-${k}`, '', { n: k });
    // The first task's chain is not this one's: the first snapshot of the task is full.
    const written = await snapshot(second, b, dir, 'b-1.snapshot');
    expect(written.delta).toBe(false);
    const restored = openLmdbStore({ path: join(dir, 'restored') });
    await restoreIntoStore(restored, written.files.map((f) => join(dir, f.name)));
    expect(contents(restored)).toEqual(contents(b));
    expect(contents(restored)).toHaveLength(50);
    restored.close();
    await second.close();
    b.close();
  });
});
