// The change log an incremental snapshot is made from: what it records, and what it gives up on.
import { open } from 'lmdb';
import { pack, unpack } from 'msgpackr';
import { readKey } from 'ordered-binary';
import { describe, expect, it } from 'vitest';
import { limits } from '../../src/limits.ts';
import { ChangeLog, latestChanges, type TakenChanges } from '../../src/state/change-log.ts';
import { LmdbStore } from '../../src/state/lmdb-store.ts';
import { tempDir } from '../helpers.ts';

/** The logged keys, each once, decoded, with the last value logged for each (undefined: deleted). */
function changes(taken: TakenChanges): Array<[unknown, unknown]> {
  const { bytes, keys, valueStart, valueEnd } = latestChanges(taken);
  return Array.from({ length: keys.size }, (_, id) => {
    const key = Buffer.from(keys.key(id));
    return [readKey(key, 0, key.length), valueStart[id] < 0 ? undefined : unpack(bytes.subarray(valueStart[id], valueEnd[id]))];
  });
}


describe('change log', () => {
  it('gives every key logged since the last take once, in first-logged order, with the value logged last, and starts afresh', () => {
    const log = new ChangeLog();
    log.append('op1/n', 3, 'alice', '', Buffer.from([0x01]));
    log.append('op1/n', 7, 42, 'w-10', Buffer.from([0x02]));
    log.append('op1/n', 3, 'alice', '', Buffer.from([0x03])); // written back twice
    log.append('op2/s', 0, 'bob', '', Buffer.from([0x04]));
    log.append('op1/n', 7, 42, 'w-10', undefined); // then deleted
    const taken = log.take()!;
    expect(taken.count).toBe(5);
    expect(changes(taken)).toEqual([
      [['op1/n', 3, 'alice', ''], 3],
      [['op1/n', 7, 42, 'w-10'], undefined],
      [['op2/s', 0, 'bob', ''], 4],
    ]);
    expect(changes(log.take()!)).toEqual([]);
  });

  it('grows past its first buffer, takes back what a failed transaction appended, and is given up (undefined: snapshot everything) past its limit', () => {
    const log = new ChangeLog();
    const many = Math.ceil(limits.changeLogBytesInitial / 10);
    for (let k = 0; k < many; k++) log.append('op1/n', k % 128, k, '', pack(k));
    const mark = log.mark();
    log.append('op1/n', 0, 'never', '', pack('x'));
    log.rollBack(mark);
    const taken = log.take()!;
    expect(taken.count).toBe(many);
    expect(changes(taken)).toHaveLength(many);
    log.overflow();
    log.append('op1/n', 0, 1, '', pack('x'));
    expect(log.take()).toBeUndefined();
    log.append('op1/n', 0, 1, '', pack('x')); // a new log after the take
    expect(log.take()!.count).toBe(1);
  });

  it('an LMDB store logs what reaches LMDB — write-backs and deletes, with the values it wrote — not what stays in its cache', () => {
    const dir = tempDir('weir-changes-');
    const store = new LmdbStore({ path: dir.path, cacheEntriesMax: 1000 });
    try {
      store.put('op1/n', 1, 'a', '', 1);
      store.put('op1/n', 1, 'b', '', { total: 2, items: ['x'] });
      expect(changes(store.takeChanges()!)).toEqual([]); // cached, not written yet
      store.flush();
      store.delete('op1/n', 1, 'a', '');
      store.flush();
      expect(changes(store.takeChanges()!)).toEqual([
        [['op1/n', 1, 'a', ''], undefined],
        [['op1/n', 1, 'b', ''], { total: 2, items: ['x'] }],
      ]);
    } finally {
      store.close();
      dir.remove();
    }
  });

  it('logs the very bytes LMDB holds for each key and value: snapshots are made from them', () => {
    const dir = tempDir('weir-changes-');
    const store = new LmdbStore({ path: dir.path, cacheEntriesMax: 0 });
    const entries: Array<[string, number, string | number, string, unknown]> = [
      ['op1/n', 0, 0, '', 1],
      ['op1/n', 127, -1.5, 'w-10', 'text ∑'],
      ['op1/n', 3, 'ünïcødé ∑', '', new Map([[1, { nested: [2n ** 40n] }]])],
      ['\u0001control', 4, 'k', 'ns', new Date(1_700_000_000_000)],
      ['op2/s', 32767, 2 ** 40, '', [1, 'two', null]],
    ];
    try {
      for (const [state, keyGroup, key, namespace, value] of entries) store.put(state, keyGroup, key, namespace, value);
      const { bytes, keys, valueStart, valueEnd } = latestChanges(store.takeChanges()!);
      const raw = open<Buffer, Buffer>({ path: dir.path, keyEncoding: 'binary', encoding: 'binary' });
      try {
        const inLmdb = Array.from(raw.getRange(), ({ key, value }) => Buffer.concat([key, Buffer.from('|'), value]).toString('hex')).sort();
        const inLog = Array.from({ length: keys.size }, (_, id) => Buffer.concat([keys.key(id), Buffer.from('|'), bytes.subarray(valueStart[id], valueEnd[id])]).toString('hex')).sort();
        expect(inLog).toEqual(inLmdb);
      } finally {
        void raw.close();
      }
      // And the store reads back what it wrote.
      for (const [state, keyGroup, key, namespace, value] of entries) expect(store.get(state, keyGroup, key, namespace)).toEqual(value);
    } finally {
      store.close();
      dir.remove();
    }
  });
});
