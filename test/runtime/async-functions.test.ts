import { describe, expect, it } from 'vitest';
import { run } from '../../src/runtime/index.ts';
import { expectWeirError, jobUrl } from '../helpers.ts';

/** Runs test/jobs/async-functions.ts on two worker threads; returns the job's error. */
async function failure(what: string) {
  const started = run(jobUrl('async-functions'), { params: { what }, parallelism: 2 });
  return expectWeirError(started.then((handle) => handle.done), 'WEIR_ASYNC_FUNCTION');
}

const advice = /does not await[\s\S]*Keep the function synchronous, or do the asynchronous work[\s\S]*before the records reach weir[\s\S]*mapAsync/;

describe('user functions that return a Promise', () => {
  it('an async map function is refused when the job is defined', async () => {
    const err = await failure('map-async');
    expect(err.operator).toBe('enrich');
    expect(err.message).toMatch(/operator "enrich": the map function is an async function/);
    expect(err.message).toMatch(advice);
  });

  it('an async keyed process function is refused when the job is defined (it used to emit nothing and exit 0)', async () => {
    const err = await failure('process-async');
    expect(err.operator).toBe('lookup');
    expect(err.message).toMatch(/operator "lookup": the process function is an async function/);
  });

  it('an async combine function is refused when the job is defined', async () => {
    const err = await failure('combine-async');
    expect(err.operator).toBe('by-key');
    expect(err.message).toMatch(/operator "by-key": the combine function is an async function/);
  });

  for (const [what, operator, role] of [
    ['map-promise', 'enrich', 'map function'],
    ['filter-promise', 'keep', 'filter function'],
    ['flatMap-promise', 'split', 'flatMap function'],
    ['key-promise', 'by-key', 'key selector'],
    ['process-promise', 'lookup', 'process function'],
    ['reduce-promise', 'sum', 'reduce function'],
    ['combine-promise', 'by-key', 'combine function'],
    ['window-aggregate-promise', 'per-window', 'aggregate add function'],
  ] as const) {
    it(`a ${role} returning a Promise fails at once, naming the operator and the record (${what})`, async () => {
      const err = await failure(what);
      expect(err.operator).toBe(operator);
      expect(err.message).toContain(`operator "${operator}": the ${role} returned a Promise for the record from source partition`);
      expect([0, 1]).toContain(err.partition);
      // Before the keyBy: the partition's first record. After it, the first record the worker got
      // through the exchange, which may be a later one of the partition (keys of the first ones
      // went to the other worker); a rolling reduce calls its function from a key's second record on.
      if (['enrich', 'keep', 'split'].includes(operator) || what === 'key-promise') expect(err.offset).toBe(0);
      else expect(err.offset).toBeGreaterThanOrEqual(0);
      expect(err.message).toMatch(advice);
    });
  }

  it('an onTimer returning a Promise fails, naming the operator and the timer', async () => {
    const err = await failure('on-timer-promise');
    expect(err.operator).toBe('timers');
    expect(err.message).toMatch(/operator "timers": the onTimer function returned a Promise \(event-time timer \d+\)/);
  });

  it('a window function returning a Promise fails when the window fires', async () => {
    const err = await failure('window-process-promise');
    expect(err.operator).toBe('per-window');
    expect(err.message).toContain('the window function returned a Promise');
  });
});
