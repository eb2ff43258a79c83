/**
 * A keyed broadcast process operator (Flink's KeyedBroadcastProcessFunction): a keyed operator
 * whose function also sees the broadcast state, read-only; the broadcast side's records update it
 * through processBroadcastElement. Its watermark is the smaller of its two inputs', and timers
 * fire before it goes on, as for a keyed process function.
 */
import type { LogicalNode } from '../../api/graph.ts';
import type { KeyedProcessFunction } from '../../functions/contracts.ts';
import { isThenable, promiseReturned } from '../../functions/sync.ts';
import { operatorUid } from '../plan.ts';
import { BroadcastStates } from './broadcast-states.ts';
import type { ChainHooks, DeadLetterPosition, Deliver, OperatorCounters, RecordPosition } from './chain.ts';
import { KeyedOperator } from './keyed-operator.ts';
import { WatermarkCombiner, type WatermarkDeliver } from './watermarks.ts';

export interface BroadcastProcessParts {
  /** The key selector of the keyBy the operator reads. */
  keyOf: (value: unknown) => unknown;
  next: Deliver;
  watermarkNext: WatermarkDeliver;
  counters: OperatorCounters;
  position: RecordPosition;
  hooks: Pick<ChainHooks, 'stateStore' | 'keyGroups' | 'keyGroupAssigner' | 'nowMs' | 'ownKeyGroup' | 'deadLetter' | 'subtask'>;
  /** Side output `tag` (dead letters when nobody reads it). */
  output(tag: string, value: unknown, timestampMs: number, createdMs: number): void;
  /** A function failed on `value`: dead-letter it or throw, as the error policy says. */
  reject(cause: unknown, value: unknown, at?: DeadLetterPosition): void;
}

export interface CompiledBroadcastProcess {
  operator: KeyedOperator;
  states: BroadcastStates;
  /** The keyed side's records. */
  deliver: Deliver;
  /** The broadcast side's records. */
  deliverBroadcast: Deliver;
  /** The watermark inputs: keyed side, broadcast side. */
  watermarkInputs: WatermarkDeliver[];
}

export function broadcastProcess(node: LogicalNode & { kind: 'broadcastProcess' }, parts: BroadcastProcessParts): CompiledBroadcastProcess {
  const { next, counters: c, hooks, output, reject } = parts;
  const states = new BroadcastStates(operatorUid(node), hooks.stateStore, hooks.ownKeyGroup);
  const user = node.fn;
  const readOnly = states.readOnly;
  const withBroadcastState = <C extends object>(ctx: C): C => Object.assign(ctx, { broadcastState: readOnly });
  const fn: KeyedProcessFunction<unknown, unknown, unknown> = {
    processElement: (v, ctx) => user.processElement(v, withBroadcastState(ctx) as never),
    onTimer: user.onTimer === undefined ? undefined : (t, ctx) => user.onTimer!.call(user, t, withBroadcastState(ctx) as never),
  };
  const operator = new KeyedOperator(node as never, parts.keyOf, fn, hooks.stateStore(), hooks.keyGroups, parts.position, {
    keyGroupAssigner: hooks.keyGroupAssigner,
    emit: next,
    countOut: () => c.recordsOut++,
    nowMs: hooks.nowMs,
    output,
    deadLetter(value, reason, at) {
      c.deadLetters++;
      hooks.deadLetter(node.name, reason, value, undefined, at);
    },
    reject,
  });
  let createdMs = NaN;
  const ctx = {
    timestampMs: NaN,
    subtask: hooks.subtask,
    emit(value: unknown, timestampMs?: number) {
      c.recordsOut++;
      next(value, timestampMs === undefined ? ctx.timestampMs : timestampMs, createdMs);
    },
    output(tag: string, value: unknown) {
      output(tag, value, ctx.timestampMs, createdMs);
    },
    deadLetter(value: unknown, reason: string) {
      c.deadLetters++;
      hooks.deadLetter(node.name, reason, value);
    },
    broadcastState: states.writable,
  };
  const deliverBroadcast: Deliver = (v, ts, cr) => {
    c.recordsIn++;
    ctx.timestampMs = ts;
    createdMs = cr;
    try {
      const result = user.processBroadcastElement(v, ctx as never) as unknown;
      if (result !== undefined && isThenable(result)) throw promiseReturned(result, 'processBroadcastElement function');
    } catch (e) {
      reject(e, v);
    }
  };
  // The operator's watermark is the smaller of its two inputs'; timers fire before it goes on.
  const combiner = new WatermarkCombiner(2, (wm, idle) => {
    if (!idle) operator.onWatermark(wm);
    parts.watermarkNext(wm, idle);
  });
  return {
    operator,
    states,
    deliver: (v, ts, cr) => {
      c.recordsIn++;
      operator.processElement(v, ts, cr);
    },
    deliverBroadcast,
    watermarkInputs: [0, 1].map((i) => (wm: number, idle: boolean) => combiner.update(i, wm, idle)),
  };
}
