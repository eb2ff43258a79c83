import type { ProcessContext, ProcessFunction } from '../../functions/contracts.ts';
import { isThenable, promiseReturned } from '../../functions/sync.ts';
import type { Deliver, OperatorCounters } from './chain.ts';

export interface StatelessProcessParts {
  /** The operator's consumers. */
  next: Deliver;
  counters: OperatorCounters;
  /** Side output `tag` (dead letters when nobody reads it). */
  output(tag: string, value: unknown, timestampMs: number, createdMs: number): void;
  /** ctx.deadLetter: user code sends a record to the dead letters. */
  deadLetter(value: unknown, reason: string): void;
  /** The function threw on `value`: dead-letter it or throw, as the error policy says. */
  reject(cause: unknown, value: unknown): void;
}

/**
 * A process function on a stream that is not keyed (Flink's ProcessFunction): emit any number of
 * records, send some to side outputs or to the dead letters. One context object for every call, with
 * `more` on it (a broadcast process function's broadcast state); a record that re-enters while
 * another waits for room in an exchange gets its own timestamps back.
 */
export function statelessProcess(fn: ProcessFunction<unknown, unknown>, parts: StatelessProcessParts, more: object = {}): { deliver: Deliver } {
  const { next, counters: c, output, deadLetter, reject } = parts;
  let createdMs = NaN;
  const ctx: ProcessContext<unknown> & { timestampMs: number } = {
    ...more,
    timestampMs: NaN,
    emit(value, timestampMs) {
      c.recordsOut++;
      next(value, timestampMs === undefined ? ctx.timestampMs : timestampMs, createdMs);
    },
    output(tag, value) {
      output(tag, value, ctx.timestampMs, createdMs);
    },
    deadLetter,
  };
  return {
    deliver(v, ts, cr) {
      c.recordsIn++;
      const savedTs = ctx.timestampMs;
      const savedCreated = createdMs;
      ctx.timestampMs = ts;
      createdMs = cr;
      try {
        const result = fn.processElement(v, ctx) as unknown;
        if (result !== undefined && isThenable(result)) throw promiseReturned(result, 'process function');
      } catch (e) {
        reject(e, v);
      } finally {
        ctx.timestampMs = savedTs;
        createdMs = savedCreated;
      }
    },
  };
}
