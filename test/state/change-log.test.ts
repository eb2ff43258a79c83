// The change log an incremental snapshot copies: what it records, and what it gives up on.
import { describe, expect, it } from 'vitest';
import { limits } from '../../src/limits.ts';
import { open } from 'lmdb';
import { readKey } from 'ordered-binary';
import { ChangeLog, uniqueChangedKeys, type TakenChanges } from '../../src/state/change-log.ts';
import { LmdbStore } from '../../src/state/lmdb-store.ts';
import { tempDir } from '../helpers.ts';

/** The logged keys, each once, decoded. */
function changedKeys(changes: TakenChanges): unknown[] {
  const keys = uniqueChangedKeys(changes);
  return Array.from({ length: keys.size }, (_, id) => { const b = Buffer.from(keys.key(id)); return readKey(b, 0, b.length); });
}

describe('change log', () => {
  it('gives every key logged since the last take once, in first-logged order, and starts afresh', () => {
    const log = new ChangeLog();
    log.append('op1/n', 3, 'alice', '');
    log.append('op1/n', 7, 42, 'w-10');
    log.append('op1/n', 3, 'alice', ''); // written back twice
    log.append('op2/s', 0, 'bob', '');
    const taken = log.take()!;
    expect(taken.count).toBe(4);
    expect(changedKeys(taken)).toEqual([
      ['op1/n', 3, 'alice', ''],
      ['op1/n', 7, 42, 'w-10'],
      ['op2/s', 0, 'bob', ''],
    ]);
    expect(changedKeys(log.take()!)).toEqual([]);
  });

  it('grows past its first buffer, and is given up (undefined: snapshot everything) past its limit', () => {
    const log = new ChangeLog();
    const many = Math.ceil(limits.changeLogBytesInitial / 10);
    for (let k = 0; k < many; k++) log.append('op1/n', k % 128, k, '');
    expect(changedKeys(log.take()!)).toHaveLength(many);
    log.overflow();
    log.append('op1/n', 0, 1, '');
    expect(log.take()).toBeUndefined();
    log.append('op1/n', 0, 1, ''); // a new log after the take
    expect(log.take()!.count).toBe(1);
  });

  it('an LMDB store logs what reaches LMDB — write-backs and deletes — not what stays in its cache', () => {
    const dir = tempDir('weir-changes-');
    const store = new LmdbStore({ path: dir.path, cacheEntriesMax: 1000 });
    try {
      store.put('op1/n', 1, 'a', '', 1);
      store.put('op1/n', 1, 'b', '', 2);
      expect(changedKeys(store.takeChanges()!)).toEqual([]); // cached, not written yet
      store.flush();
      store.delete('op1/n', 1, 'a', '');
      store.flush();
      expect(changedKeys(store.takeChanges()!)).toEqual([
        ['op1/n', 1, 'a', ''],
        ['op1/n', 1, 'b', ''],
      ]);
    } finally {
      store.close();
      dir.remove();
    }
  });

  it('logs the very bytes lmdb-js writes for each key: the snapshot thread looks them up as bytes', () => {
    const dir = tempDir('weir-changes-');
    const store = new LmdbStore({ path: dir.path, cacheEntriesMax: 0 });
    const keys: Array<[string, number, string | number, string]> = [
      ['op1/n', 0, 0, ''],
      ['op1/n', 127, -1.5, 'w-10'],
      ['op1/n', 3, 'ünïcødé ∑', ''],
      ['\u0001control', 4, 'k', 'ns'],
      ['op2/s', 32767, 2 ** 40, ''],
    ];
    try {
      for (const [state, keyGroup, key, namespace] of keys) store.put(state, keyGroup, key, namespace, 1);
      const logged = uniqueChangedKeys(store.takeChanges()!);
      const raw = open<Buffer, Buffer>({ path: dir.path, keyEncoding: 'binary', encoding: 'binary' });
      try {
        const inLmdb = Array.from(raw.getKeys(), (k) => Buffer.from(k).toString('hex')).sort();
        const inLog = Array.from({ length: logged.size }, (_, id) => Buffer.from(logged.key(id)).toString('hex')).sort();
        expect(inLog).toEqual(inLmdb);
        for (let id = 0; id < logged.size; id++) expect(raw.getBinary(Buffer.from(logged.key(id)))).toBeDefined();
      } finally {
        void raw.close();
      }
    } finally {
      store.close();
      dir.remove();
    }
  });
});
