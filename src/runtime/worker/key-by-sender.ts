/**
 * The sending side of a keyBy: a record's key, checked, routes it into the exchange — or, when a
 * window aggregate reads the keyBy, into the pre-aggregator that folds it (pre-aggregator.ts) —
 * and watermarks follow it into the exchange. The receiving side is the chain's: the worker hands
 * it what arrives from the rings.
 */
import type { LogicalNode } from '../../api/graph.ts';
import { WeirError } from '../../errors.ts';
import { isThenable, promiseReturned } from '../../functions/sync.ts';
import type { ChainHooks, Deliver, OperatorCounters, RecordPosition } from './chain.ts';
import { PreAggregator } from './pre-aggregator.ts';
import type { WatermarkDeliver } from './watermarks.ts';

export interface KeyBySender {
  deliver: Deliver;
  watermark: WatermarkDeliver;
  /** Present when the keyBy's reader is a pre-aggregated window: the worker flushes it before a barrier, an epoch end or the end of stream. */
  preAggregator: PreAggregator | undefined;
}

export interface KeyBySenderContext {
  hooks: Pick<ChainHooks, 'send' | 'sendWatermark' | 'workerOfKey'>;
  position: RecordPosition;
  counters: OperatorCounters;
  /** The record failed at `operator` (this keyBy, or the window whose aggregate threw): dead-letter it or throw, as that operator's policy says. */
  reject(cause: unknown, operator: LogicalNode, value: unknown): void;
}

export function keyBySender(node: LogicalNode & { kind: 'keyBy' }, exchange: number, preAggregating: (LogicalNode & { kind: 'process' }) | undefined, context: KeyBySenderContext): KeyBySender {
  const { hooks, position, counters: c, reject } = context;
  const keyOf = node.key;
  const preAggregator =
    preAggregating === undefined
      ? undefined
      : new PreAggregator(preAggregating.preAggregation!, (key, wire, ts, cr, partition, offset) => {
          // A partial goes out with its newest record's position (errors and dead letters name it).
          const { partition: current, offset: currentOffset } = position;
          position.partition = partition;
          position.offset = offset;
          try {
            hooks.send(exchange, hooks.workerOfKey(key), wire, ts, cr);
          } catch (e) {
            throw e instanceof WeirError && e.code === 'WEIR_RECORD_TOO_LARGE' ? partialTooLarge(e, preAggregating.name) : e;
          } finally {
            position.partition = current;
            position.offset = currentOffset;
          }
        });
  const deliver: Deliver = (v, ts, cr) => {
    c.recordsIn++;
    let key: unknown;
    try {
      key = keyOf(v);
      if (isThenable(key)) throw promiseReturned(key, 'key selector');
    } catch (e) {
      return reject(e, node, v);
    }
    if (key === undefined || key === null || (typeof key === 'number' && Number.isNaN(key))) {
      const err = new WeirError('WEIR_USER_FUNCTION', `operator "${node.name}": the key selector returned ${String(key)} for the record from source partition ${position.partition} at offset ${position.offset}`, {
        operator: node.name,
        partition: position.partition,
        offset: position.offset,
      });
      return reject(err, node, v);
    }
    if (preAggregator !== undefined) {
      try {
        preAggregator.add(key, v, ts, cr, position.partition, position.offset);
      } catch (e) {
        // The window's aggregate failed on the record (its operator's to handle), or the record, sent as itself, did not fit.
        reject(e, e instanceof WeirError ? node : preAggregating!, v);
      }
      return;
    }
    try {
      hooks.send(exchange, hooks.workerOfKey(key), v, ts, cr);
    } catch (e) {
      // Too large for a frame, or not encodable: nothing of it was written.
      reject(e, node, v);
    }
  };
  const watermark: WatermarkDeliver = (wm, idle) => {
    preAggregator?.onWatermark(wm, idle);
    hooks.sendWatermark(exchange, wm, idle);
  };
  return { deliver, watermark, preAggregator };
}

/** A partial too large for the exchange: say what it is and how to do without it. */
function partialTooLarge(err: WeirError, window: string): WeirError {
  return new WeirError(
    'WEIR_RECORD_TOO_LARGE',
    `${err.message}. The record is a partial aggregate of window "${window}": one key's records of one pane, folded before the exchange (pre-aggregation), and its accumulator grows with its records; call .preAggregate(false) on that window to send the records as themselves`,
    { operator: err.operator, partition: err.partition, offset: err.offset, cause: err },
  );
}
