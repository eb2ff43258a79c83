// How a worker keeps broadcast state in checkpoints: one copy under its first key group, written
// as what changed since the last checkpoint; after a restore, the whole copy once.
import { describe, expect, it } from 'vitest';
import { BroadcastStates } from '../../src/runtime/worker/broadcast-states.ts';
import { HeapStore } from '../../src/state/heap-store.ts';
import type { StateEntry } from '../../src/state/store.ts';

const stateId = 'rules-op/__broadcast';
const stored = (store: HeapStore): StateEntry[] => [...store.entries(stateId)];

describe('broadcast state in checkpoints', () => {
  it('writes what changed since the last checkpoint, under the first key group the worker owns', () => {
    const store = new HeapStore();
    const states = new BroadcastStates('rules-op', () => store, 64);
    const rules = states.writable('rules');
    rules.put('a', 1);
    rules.put('b', 2);
    states.snapshot();
    expect(stored(store).map((e) => [e.keyGroup, e.namespace, e.value])).toEqual([
      [64, 'rules', ['a', 1]],
      [64, 'rules', ['b', 2]],
    ]);

    // Nothing changed: nothing is written (an entry rewritten would show in the change log).
    store.put(stateId, 64, 'a', 'rules', ['a', 'untouched']);
    states.snapshot();
    expect(store.get(stateId, 64, 'a', 'rules')).toEqual(['a', 'untouched']);

    rules.remove('a');
    rules.put('c', 3);
    states.writable('other').put(1, { x: 1 });
    states.snapshot();
    const values = stored(store).map((e) => e.value);
    expect(values).toHaveLength(3);
    expect(values).toEqual(expect.arrayContaining([['b', 2], ['c', 3], [1, { x: 1 }]]));

    rules.clear();
    states.snapshot();
    expect(stored(store).map((e) => e.value)).toEqual([[1, { x: 1 }]]);
  });

  it('after a restore, reads every copy it finds and writes the whole state once under its own key group', () => {
    const store = new HeapStore();
    // Two old workers' copies (groups 0 and 64), as a restore with another parallelism leaves them.
    store.put(stateId, 0, 'a', 'rules', ['a', 1]);
    store.put(stateId, 64, 'a', 'rules', ['a', 1]);
    store.put(stateId, 64, 'b', 'rules', ['b', 2]);
    const states = new BroadcastStates('rules-op', () => store, 86);
    states.restore();
    expect(states.readOnly('rules').entries()).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    states.snapshot();
    expect(stored(store).map((e) => [e.keyGroup, e.value])).toEqual([
      [86, ['a', 1]],
      [86, ['b', 2]],
    ]);
  });
});
