// The CEP operator holds each key's buffer, runs and events in memory between the store's flushes
// (src/cep/cep-held-keys.ts): what it holds must be in keyed state whenever the store is flushed
// or scanned, and a record that could not be stored must be refused when it arrives.
import { describe, expect, it } from 'vitest';
import { WeirError } from '../../src/errors.ts';
import { aThenB, cepHarness, type Ev } from './cep-helpers.ts';

const ev = (t: string, ts: number, i: number): Ev => ({ k: 'k', t, v: 0, ts, i });

describe('CEP state held between flushes', () => {
  for (const backend of ['heap', 'lmdb'] as const) {
    it(`${backend}: keyed state holds the buffer while records wait, runs and events while a match is open, nothing after`, () => {
      const h = cepHarness(aThenB(), backend);
      h.element('k', ev('c', 1000, 0), 1000);
      h.element('k', ev('a', 1001, 1), 1001);
      expect(h.stateEntries()).toBe(1); // cep-buffer
      h.advanceWatermark(1000); // 'c' starts nothing: only the buffer changes
      expect(h.stateEntries()).toBe(1);
      h.advanceWatermark(1001); // 'a' opens a run
      expect(h.stateEntries()).toBe(2); // cep-runs, cep-events
      h.element('k', ev('b', 1003, 2), 1003);
      expect(h.stateEntries()).toBe(3);
      h.advanceWatermark(1003); // the match completes: nothing is open
      expect(h.values().map((m) => m.events)).toEqual(['1:a 2:b']);
      expect(h.stateEntries()).toBe(0);
    });
  }

  it('a record that cannot be stored is refused when it arrives, naming the state', () => {
    const h = cepHarness(aThenB(), 'lmdb');
    const bad = { ...ev('a', 1000, 0), f: () => 1 } as unknown as Ev;
    let error: unknown;
    try {
      h.element('k', bad, 1000);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WeirError);
    expect((error as WeirError).code).toBe('WEIR_STATE');
    expect((error as Error).message).toMatch(/cep-buffer.*a function at \.f cannot be stored/);
    expect(h.stateEntries()).toBe(0);
  });
});
