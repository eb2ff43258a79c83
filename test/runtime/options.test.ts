import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/runtime/options.ts';
import { limits } from '../../src/limits.ts';
import { WeirError } from '../../src/errors.ts';

describe('run options', () => {
  it('sinkFlushIntervalMs: the run\'s, else the job\'s, else the default; 0 … the maximum', () => {
    expect(resolveOptions({}, {}, 1, '/tmp').sinkFlushIntervalMs).toBe(limits.sinkFlushIntervalMs);
    expect(resolveOptions({ sinkFlushIntervalMs: 5 }, {}, 1, '/tmp').sinkFlushIntervalMs).toBe(5);
    expect(resolveOptions({ sinkFlushIntervalMs: 5 }, { sinkFlushIntervalMs: 0 }, 1, '/tmp').sinkFlushIntervalMs).toBe(0);
    for (const bad of [-1, Number.NaN, limits.sinkFlushIntervalMsMax + 1]) {
      let err: unknown;
      try {
        resolveOptions({ sinkFlushIntervalMs: bad }, {}, 1, '/tmp');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(WeirError);
      expect((err as WeirError).code).toBe('WEIR_CONFIG');
      expect((err as WeirError).message).toMatch(/sinkFlushIntervalMs must be from 0/);
    }
  });
});
