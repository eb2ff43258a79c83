// The change log an incremental snapshot copies: what it records, and what it gives up on.
import { describe, expect, it } from 'vitest';
import { limits } from '../../src/limits.ts';
import { ChangeLog, changedKeys } from '../../src/state/change-log.ts';
import { LmdbStore } from '../../src/state/lmdb-store.ts';
import { tempDir } from '../helpers.ts';

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
});
