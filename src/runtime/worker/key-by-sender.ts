/**
 * The sending side of a keyBy: a record's key, checked, routes it into the exchange — or, when a
 * window aggregate reads the keyBy, into the pre-aggregator that folds it (pre-aggregator.ts), or
 * with the keyBy's `combine`, into the combiner that folds records of a key (combiner.ts) — and
 * watermarks follow it into the exchange. The receiving side is the chain's: the worker hands
 * it what arrives from the rings.
 */
import type { LogicalNode } from '../../api/graph.ts';
import { WeirError } from '../../errors.ts';
import { isThenable, promiseReturned } from '../../functions/sync.ts';
import { limits } from '../../limits.ts';
import type { ChainHooks, Deliver, OperatorCounters, RecordPosition } from './chain.ts';
import { Combiner } from './combiner.ts';
import { PreAggregator } from './pre-aggregator.ts';
import type { WatermarkDeliver } from './watermarks.ts';

export interface KeyBySender {
  deliver: Deliver;
  watermark: WatermarkDeliver;
  /** Present when the keyBy's reader is a pre-aggregated window: the worker flushes it before a barrier, an epoch end or the end of stream. */
  preAggregator: PreAggregator | undefined;
  /** Present when the keyBy has `combine`: the worker ends its batches (endRound) and flushes it like the pre-aggregator. */
  combiner: Combiner | undefined;
}

export interface KeyBySenderContext {
  hooks: Pick<ChainHooks, 'send' | 'sendWatermark' | 'workerOfKey' | 'nowMs'>;
  position: RecordPosition;
  counters: OperatorCounters;
  /** The record failed at `operator` (this keyBy, or the window whose aggregate threw): dead-letter it or throw, as that operator's policy says. */
  reject(cause: unknown, operator: LogicalNode, value: unknown): void;
}

export function keyBySender(node: LogicalNode & { kind: 'keyBy' }, exchange: number, preAggregating: (LogicalNode & { kind: 'process' }) | undefined, context: KeyBySenderContext): KeyBySender {
  const { hooks, position, counters: c, reject } = context;
  const keyOf = node.key;
  // Runs `fn` as if at the source position given (a held record's: errors and dead letters name it).
  const atPosition = (partition: number, offset: number, fn: () => void) => {
    const { partition: current, offset: currentOffset } = position;
    position.partition = partition;
    position.offset = offset;
    try {
      fn();
    } finally {
      position.partition = current;
      position.offset = currentOffset;
    }
  };
  const preAggregator =
    preAggregating === undefined
      ? undefined
      : new PreAggregator(preAggregating.preAggregation!, (key, wire, ts, cr, partition, offset) =>
          atPosition(partition, offset, () => {
            try {
              hooks.send(exchange, hooks.workerOfKey(key), wire, ts, cr);
            } catch (e) {
              throw e instanceof WeirError && e.code === 'WEIR_RECORD_TOO_LARGE' ? partialTooLarge(e, preAggregating.name) : e;
            }
          }),
        );
  const combiner =
    node.combine === undefined
      ? undefined
      : new Combiner(
          node.combine,
          node.combineDelayMs ?? limits.combineDelayMsDefault,
          (key, value, ts, cr, partition, offset) =>
            atPosition(partition, offset, () => {
              try {
                hooks.send(exchange, hooks.workerOfKey(key), value, ts, cr);
              } catch (e) {
                // Too large for a frame, or not encodable: nothing of it was written.
                reject(e, node, value);
              }
            }),
          hooks.nowMs,
        );
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
    if (combiner !== undefined) {
      try {
        combiner.add(key, v, ts, cr, position.partition, position.offset);
      } catch (e) {
        // combine threw (or returned a Promise), or the record, sent as itself, did not fit.
        reject(e, node, v);
      }
      return;
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
    combiner?.onWatermark(wm, idle);
    hooks.sendWatermark(exchange, wm, idle);
  };
  return { deliver, watermark, preAggregator, combiner };
}

/** A partial too large for the exchange: say what it is and how to do without it. */
function partialTooLarge(err: WeirError, window: string): WeirError {
  return new WeirError(
    'WEIR_RECORD_TOO_LARGE',
    `${err.message}. The record is a partial aggregate of window "${window}": one key's records of one pane, folded before the exchange (pre-aggregation), and its accumulator grows with its records; call .preAggregate(false) on that window to send the records as themselves`,
    { operator: err.operator, partition: err.partition, offset: err.offset, cause: err },
  );
}
