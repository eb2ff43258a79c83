/**
 * The operators that take one record at a time and keep nothing — map, filter, flatMap — and the
 * sink's entry, compiled into the closures chain.ts links together. Each counts what comes in and
 * goes out, refuses a function that returns a Promise (an async function would lose its result:
 * functions/sync.ts), and hands a failure to `reject`, which dead-letters the record or throws
 * as the error policy says.
 */
import type { Collector, LogicalNode } from '../../api/graph.ts';
import type { SinkWriter } from '../../connectors/types.ts';
import { WeirError } from '../../errors.ts';
import { isThenable, promiseReturned } from '../../functions/sync.ts';
import type { ChainHooks, Deliver, OperatorCounters, RecordPosition } from './chain.ts';
import { expectWritten } from './sinks.ts';

/** The operator failed on the record `value` (chain.ts's reject, bound to the operator). */
export type RejectRecord = (cause: unknown, value: unknown) => void;

export function mapOperator(fn: (value: unknown) => unknown, next: Deliver, c: OperatorCounters, reject: RejectRecord): Deliver {
  return (v, ts, cr) => {
    c.recordsIn++;
    let out: unknown;
    try {
      out = fn(v);
      if (isThenable(out)) throw promiseReturned(out, 'map function');
    } catch (e) {
      return reject(e, v);
    }
    c.recordsOut++;
    next(out, ts, cr);
  };
}

export function filterOperator(fn: (value: unknown) => boolean, next: Deliver, c: OperatorCounters, reject: RejectRecord): Deliver {
  return (v, ts, cr) => {
    c.recordsIn++;
    let keep: boolean;
    try {
      keep = fn(v);
      if (keep !== true && keep !== false && isThenable(keep)) throw promiseReturned(keep, 'filter function');
    } catch (e) {
      return reject(e, v);
    }
    if (keep) {
      c.recordsOut++;
      next(v, ts, cr);
    }
  };
}

/**
 * What a flatMap function returned instead of collecting: its records, when it is an array or
 * another iterable (but a string, which Array#flatMap does not spread either). Anything else —
 * an object meant as the one record, a number — fails the record: skipping it would lose it.
 */
function returnedRecords(result: unknown): Iterable<unknown> {
  if (typeof result !== 'string' && result !== null && typeof (result as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function') return result as Iterable<unknown>;
  const what = result === null ? 'null' : typeof result === 'object' ? 'an object' : `a ${typeof result}`;
  throw new TypeError(`the flatMap function returned ${what}: return an array (or another iterable) of records, or call out.collect(record) for each`);
}

/**
 * What the function collects carries its input's event time and creation time. It may instead
 * return its records (an array), as Array#flatMap's callback does; what a function that collected
 * returns is not looked at (`(x, out) => x.items.map((i) => out.collect(i))` returns undefineds).
 */
export function flatMapOperator(fn: (value: unknown, out: Collector<unknown>) => void, next: Deliver, c: OperatorCounters, reject: RejectRecord): Deliver {
  let curTs = NaN;
  let curCreated = NaN;
  const collector: Collector<unknown> = {
    collect(value) {
      c.recordsOut++;
      next(value, curTs, curCreated);
    },
  };
  return (v, ts, cr) => {
    c.recordsIn++;
    // Saved and restored around the call: the times stay right even if collecting ever re-enters this operator.
    const savedTs = curTs;
    const savedCreated = curCreated;
    curTs = ts;
    curCreated = cr;
    try {
      const collectedBefore = c.recordsOut;
      const result = fn(v, collector) as unknown;
      if (result !== undefined) {
        if (isThenable(result)) throw promiseReturned(result, 'flatMap function');
        // Returned, as Array#flatMap's callback does, rather than collected: emitted as collected.
        if (c.recordsOut === collectedBefore) for (const r of returnedRecords(result)) collector.collect(r);
      }
    } catch (e) {
      reject(e, v);
    } finally {
      curTs = savedTs;
      curCreated = savedCreated;
    }
  };
}

/** A sink's entry: latency and checksum instruments, then the writer; a writer's failure fails the job naming the record's position. */
export function sinkOperator(
  node: LogicalNode & { kind: 'sink' },
  writer: SinkWriter<unknown>,
  c: OperatorCounters,
  position: RecordPosition,
  hooks: Pick<ChainHooks, 'latency' | 'checksum' | 'sinkLatency' | 'checkpointing'>,
): Deliver {
  const { latency, checksum, sinkLatency } = hooks;
  const twoPhase = hooks.checkpointing && writer.commit !== undefined;
  return (v, ts, cr) => {
    c.recordsIn++;
    if (latency !== undefined) latency.atSink(cr, twoPhase);
    if (sinkLatency !== undefined) sinkLatency.observe(cr);
    if (checksum !== undefined) checksum.add(v);
    try {
      expectWritten(writer.write(v, ts, cr), node.name, position.partition, position.offset);
    } catch (e) {
      if (e instanceof WeirError) throw e;
      const inner = e instanceof Error ? e : new Error(String(e));
      throw new WeirError('WEIR_SINK', `sink "${node.name}" failed on the record from source partition ${position.partition} at offset ${position.offset}: ${inner.message}`, {
        operator: node.name,
        partition: position.partition,
        offset: position.offset,
        cause: inner,
      });
    }
  };
}
