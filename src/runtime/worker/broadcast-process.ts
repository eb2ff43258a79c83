/**
 * A broadcast process operator: the broadcast side's records update the broadcast state through
 * processBroadcastElement, on every worker; the main side reads it, read-only. Keyed (Flink's
 * KeyedBroadcastProcessFunction), the main side is a keyed operator, with keyed state and timers
 * that fire before the watermark goes on; on a stream that is not keyed (Flink's
 * BroadcastProcessFunction), each record is processed on the worker that read it. Its watermark
 * is the smaller of its two inputs'.
 */
import type { LogicalNode } from '../../api/graph.ts';
import type { KeyedBroadcastProcessFunction } from '../../api/broadcast.ts';
import type { KeyedProcessFunction, ProcessFunction } from '../../functions/contracts.ts';
import { isThenable, promiseReturned } from '../../functions/sync.ts';
import { operatorUid } from '../plan.ts';
import { BroadcastStates } from './broadcast-states.ts';
import type { ChainHooks, DeadLetterPosition, Deliver, OperatorCounters, RecordPosition } from './chain.ts';
import { KeyedOperator } from './keyed-operator.ts';
import { statelessProcess } from './stateless-process.ts';
import { WatermarkCombiner, type WatermarkDeliver } from './watermarks.ts';

export interface BroadcastProcessParts {
  /** The key selector of the keyBy the operator reads; undefined when it reads a stream that is not keyed. */
  keyOf: ((value: unknown) => unknown) | undefined;
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
  /** The keyed side's operator (keyed state, timers); undefined on a stream that is not keyed. */
  operator: KeyedOperator | undefined;
  states: BroadcastStates;
  /** The main side's records. */
  deliver: Deliver;
  /** The broadcast side's records. */
  deliverBroadcast: Deliver;
  /** The watermark inputs: main side, broadcast side. */
  watermarkInputs: WatermarkDeliver[];
}

/** A process function beside broadcast state: keyed when `keyOf` is given, else on the records where they are. */
export function broadcastProcess(node: LogicalNode & { kind: 'broadcastProcess' }, parts: BroadcastProcessParts): CompiledBroadcastProcess {
  const { next, counters: c, hooks, output, reject } = parts;
  const states = new BroadcastStates(operatorUid(node), hooks.stateStore, hooks.ownKeyGroup);
  const main = parts.keyOf === undefined ? unkeyedSide(node, states, parts) : keyedSide(node, parts.keyOf, states, parts);
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
      const result = node.fn.processBroadcastElement(v, ctx as never) as unknown;
      if (result !== undefined && isThenable(result)) throw promiseReturned(result, 'processBroadcastElement function');
    } catch (e) {
      reject(e, v);
    }
  };
  // The operator's watermark is the smaller of its two inputs'; timers fire before it goes on.
  const combiner = new WatermarkCombiner(2, (wm, idle) => {
    if (!idle) main.operator?.onWatermark(wm);
    parts.watermarkNext(wm, idle);
  });
  return {
    operator: main.operator,
    states,
    deliver: main.deliver,
    deliverBroadcast,
    watermarkInputs: [0, 1].map((i) => (wm: number, idle: boolean) => combiner.update(i, wm, idle)),
  };
}

/** The main side of a keyed broadcast process function: a keyed operator whose contexts also read the broadcast state. */
function keyedSide(node: LogicalNode & { kind: 'broadcastProcess' }, keyOf: (value: unknown) => unknown, states: BroadcastStates, parts: BroadcastProcessParts): { operator: KeyedOperator; deliver: Deliver } {
  const { next, counters: c, hooks, output, reject } = parts;
  const user = node.fn as KeyedBroadcastProcessFunction<unknown, unknown, unknown, unknown>;
  const readOnly = states.readOnly;
  const withBroadcastState = <C extends object>(ctx: C): C => Object.assign(ctx, { broadcastState: readOnly });
  const fn: KeyedProcessFunction<unknown, unknown, unknown> = {
    processElement: (v, ctx) => user.processElement(v, withBroadcastState(ctx) as never),
    onTimer: user.onTimer === undefined ? undefined : (t, ctx) => user.onTimer!.call(user, t, withBroadcastState(ctx) as never),
  };
  const operator = new KeyedOperator(node as never, keyOf, fn, hooks.stateStore(), hooks.keyGroups, parts.position, {
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
  return {
    operator,
    deliver: (v, ts, cr) => {
      c.recordsIn++;
      operator.processElement(v, ts, cr);
    },
  };
}

/** The main side of a broadcast process function on a stream that is not keyed: each record where it is, with the broadcast state read-only. */
function unkeyedSide(node: LogicalNode & { kind: 'broadcastProcess' }, states: BroadcastStates, parts: BroadcastProcessParts): { operator: undefined; deliver: Deliver } {
  const { counters: c, hooks } = parts;
  // Its processElement is a ProcessFunction's whose context also carries the broadcast state.
  const user = node.fn as ProcessFunction<unknown, unknown>;
  const { deliver } = statelessProcess(
    user,
    {
      next: parts.next,
      counters: c,
      output: parts.output,
      deadLetter(value, reason) {
        c.deadLetters++;
        hooks.deadLetter(node.name, reason, value);
      },
      reject: parts.reject,
    },
    { broadcastState: states.readOnly },
  );
  return { operator: undefined, deliver };
}
