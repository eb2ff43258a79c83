import type { Collector, LogicalNode } from '../api/graph.ts';
import type { SinkWriter } from '../connectors/types.ts';
import { userFunctionError, WeirError } from '../errors.ts';
import { asyncResultError, isThenable, PromiseReturned, promiseReturned } from '../api/sync-functions.ts';
import type { StateStore } from '../state/store.ts';
import type { OutputChecksum } from '../harness/checksum.ts';
import type { LatencyRecorder } from '../harness/latency-recorder.ts';
import { KeyedOperator } from './keyed-operator.ts';
import type { KeyGroupAssigner } from './keys.ts';
import type { Plan } from './plan.ts';
import { WatermarkCombiner, type WatermarkDeliver } from './watermarks.ts';

/**
 * Operator chaining: inside a worker, operators are plain closures calling each other (no
 * serialisation, no queue). Each compiled operator is a `Deliver` — "here is a record for you".
 */
export type Deliver = (value: unknown, timestampMs: number, createdMs: number) => void;

/** Where the record being processed came from; errors name it. Set by sources and exchange readers. */
export interface RecordPosition {
  partition: number;
  offset: number;
}

/** Local per-operator counters (flushed to shared metrics by the worker). */
export interface OperatorCounters {
  recordsIn: number;
  recordsOut: number;
}

export interface ChainHooks {
  /** Sends a record into exchange `exchange` (the keyBy's index) for worker `target`. */
  send(exchange: number, target: number, value: unknown, timestampMs: number, createdMs: number): void;
  /** A new watermark status for exchange `exchange`'s rings (sent to every target, coalesced). */
  sendWatermark(exchange: number, watermarkMs: number, idle: boolean): void;
  /** Routes a key to its worker. */
  workerOfKey(key: unknown): number;
  sinkWriter(node: LogicalNode & { kind: 'sink' }): SinkWriter<unknown>;
  /** Where an operator's records to an unread side output go, with the reason. */
  deadLetter(operator: string, reason: string, value: unknown): void;
  /** This worker's keyed-state store (created on first use). */
  stateStore(): StateStore;
  keyGroups: number;
  /** Default 'hash' (runtime/keys.ts). */
  keyGroupAssigner?: KeyGroupAssigner;
  nowMs(): number;
  subtask: number;
  /** Present when the harness measures latency / checksums the output. */
  latency?: LatencyRecorder;
  checksum?: OutputChecksum;
}

export interface CompiledChain {
  /** Entry point of each node's consumers: a source's output, or an exchange's receiving side. */
  outputOf: Deliver[];
  /** The same for watermarks: a source's combined watermark, or an exchange's (min over senders). */
  watermarkOutputOf: WatermarkDeliver[];
  counters: OperatorCounters[];
  /** The keyed process operators of this worker (timers, TTL cleanup). */
  keyed: KeyedOperator[];
  /** Keyed operators' open/close hooks. */
  open(): void;
  close(): void;
}

export function compileChain(plan: Plan, position: RecordPosition, hooks: ChainHooks): CompiledChain {
  const { graph } = plan;
  const counters: OperatorCounters[] = graph.nodes.map(() => ({ recordsIn: 0, recordsOut: 0 }));
  const inputOf: Deliver[] = new Array(graph.nodes.length);
  const outputOf: Deliver[] = new Array(graph.nodes.length);
  // Watermark inputs per (node, input position): a union combines its inputs, others forward.
  const watermarkInputsOf: WatermarkDeliver[][] = new Array(graph.nodes.length);
  const watermarkOutputOf: WatermarkDeliver[] = new Array(graph.nodes.length);
  const keyed: KeyedOperator[] = [];
  const opens: Array<() => void> = [];
  const closes: Array<() => void> = [];
  const exchangeIndex = new Map(plan.exchanges.map((nodeId, index) => [nodeId, index]));

  const fail = (cause: unknown, node: LogicalNode): WeirError => {
    if (cause instanceof WeirError) return cause;
    if (cause instanceof PromiseReturned) return asyncResultError(cause.role, node.name, position.partition, position.offset);
    return userFunctionError(cause, node.name, position.partition, position.offset);
  };

  // Compile from the last node to the first, so every node's consumers exist when it is built.
  for (let id = graph.nodes.length - 1; id >= 0; id--) {
    const node = graph.nodes[id];
    const c = counters[id];
    const next = fanOut(graph.consumersOf(id).map((consumer) => inputOf[consumer.id]));
    // Watermarks go to every reader of the node, side outputs included (they carry event time too).
    // (One watermark input per input position: a union may read the same stream twice.)
    const watermarkNext = fanOutWatermark(graph.nodes.flatMap((n) => graph.inputsOf(n).flatMap((input, i) => (input === id ? [watermarkInputsOf[n.id][i]] : []))));
    watermarkOutputOf[id] = watermarkNext;
    watermarkInputsOf[id] = [watermarkNext];
    // A node's output as seen from outside: counted as the node's output.
    outputOf[id] = (v, ts, cr) => {
      c.recordsOut++;
      next(v, ts, cr);
    };

    switch (node.kind) {
      case 'source':
        inputOf[id] = () => {
          throw new Error('a source has no input');
        };
        break;
      case 'union':
      case 'sideOutput': {
        inputOf[id] = (v, ts, cr) => {
          c.recordsIn++;
          c.recordsOut++;
          next(v, ts, cr);
        };
        if (node.kind === 'union') {
          const combiner = new WatermarkCombiner(node.inputs.length, watermarkNext);
          watermarkInputsOf[id] = node.inputs.map((_, i) => (wm: number, idle: boolean) => combiner.update(i, wm, idle));
        }
        break;
      }
      case 'map': {
        const fn = node.fn;
        inputOf[id] = (v, ts, cr) => {
          c.recordsIn++;
          let out: unknown;
          try {
            out = fn(v);
            if (isThenable(out)) throw promiseReturned(out, 'map function');
          } catch (e) {
            throw fail(e, node);
          }
          c.recordsOut++;
          next(out, ts, cr);
        };
        break;
      }
      case 'filter': {
        const fn = node.fn;
        inputOf[id] = (v, ts, cr) => {
          c.recordsIn++;
          let keep: boolean;
          try {
            keep = fn(v);
            if (keep !== true && keep !== false && isThenable(keep)) throw promiseReturned(keep, 'filter function');
          } catch (e) {
            throw fail(e, node);
          }
          if (keep) {
            c.recordsOut++;
            next(v, ts, cr);
          }
        };
        break;
      }
      case 'flatMap': {
        const fn = node.fn;
        let curTs = NaN;
        let curCreated = NaN;
        const collector: Collector<unknown> = {
          collect(value) {
            c.recordsOut++;
            next(value, curTs, curCreated);
          },
        };
        inputOf[id] = (v, ts, cr) => {
          c.recordsIn++;
          const savedTs = curTs;
          const savedCreated = curCreated;
          curTs = ts;
          curCreated = cr;
          try {
            const result = fn(v, collector) as unknown;
            if (result !== undefined && isThenable(result)) throw promiseReturned(result, 'flatMap function');
          } catch (e) {
            throw fail(e, node);
          } finally {
            curTs = savedTs;
            curCreated = savedCreated;
          }
        };
        break;
      }
      case 'keyBy': {
        // Sending side: route by key into the exchange. The receiving side delivers straight to
        // the consumers (outputOf[id]), called by the worker when a frame arrives.
        const keyOf = node.key;
        const exchange = exchangeIndex.get(id);
        if (exchange === undefined) {
          // Nothing reads this keyBy (see plan.ts): records and watermarks end here.
          inputOf[id] = () => void c.recordsIn++;
          watermarkInputsOf[id] = [() => {}];
          break;
        }
        inputOf[id] = (v, ts, cr) => {
          c.recordsIn++;
          let key: unknown;
          try {
            key = keyOf(v);
            if (isThenable(key)) throw promiseReturned(key, 'key selector');
          } catch (e) {
            throw fail(e, node);
          }
          if (key === undefined || key === null || (typeof key === 'number' && Number.isNaN(key))) {
            throw new WeirError('WEIR_USER_FUNCTION', `operator "${node.name}": the key selector returned ${String(key)} for the record from source partition ${position.partition} at offset ${position.offset}`, {
              operator: node.name,
              partition: position.partition,
              offset: position.offset,
            });
          }
          hooks.send(exchange, hooks.workerOfKey(key), v, ts, cr);
        };
        watermarkInputsOf[id] = [(wm, idle) => hooks.sendWatermark(exchange, wm, idle)];
        outputOf[id] = (v, ts, cr) => {
          c.recordsOut++;
          next(v, ts, cr);
        };
        break;
      }
      case 'process': {
        const keyBy = graph.nodes[node.input] as LogicalNode & { kind: 'keyBy' };
        const sideOutputs = new Map<string, Deliver>();
        const operator = new KeyedOperator(node, keyBy.key, node.fn, hooks.stateStore(), hooks.keyGroups, position, {
          keyGroupAssigner: hooks.keyGroupAssigner,
          emit: next,
          countOut: () => c.recordsOut++,
          nowMs: hooks.nowMs,
          atTimerEmit: hooks.latency === undefined ? undefined : (arrivedMs, cr) => hooks.latency!.atTimerEmit(arrivedMs, cr),
          output(tag, value, ts, cr) {
            let deliver = sideOutputs.get(tag);
            if (deliver === undefined) {
              const readers = graph.sideOutputsOf(id, tag).map((reader) => inputOf[reader.id]);
              deliver = readers.length > 0 ? fanOut(readers) : (v) => hooks.deadLetter(node.name, `side output "${tag}" has no reader`, v);
              sideOutputs.set(tag, deliver);
            }
            deliver(value, ts, cr);
          },
        });
        keyed.push(operator);
        opens.push(() => operator.open({ subtask: hooks.subtask, parallelism: plan.parallelism }));
        closes.push(() => operator.close());
        inputOf[id] = (v, ts, cr) => {
          c.recordsIn++;
          operator.processElement(v, ts, cr);
        };
        // Timers fire before the watermark goes on, so what they emit is not late downstream.
        watermarkInputsOf[id] = [
          (wm, idle) => {
            if (!idle) operator.onWatermark(wm);
            watermarkNext(wm, idle);
          },
        ];
        break;
      }
      case 'sink': {
        const writer = hooks.sinkWriter(node);
        const { latency, checksum } = hooks;
        inputOf[id] = (v, ts, cr) => {
          c.recordsIn++;
          if (latency !== undefined) latency.atSink(cr);
          if (checksum !== undefined) checksum.add(v);
          try {
            writer.write(v, ts, cr);
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
        break;
      }
    }
  }

  return {
    outputOf,
    watermarkOutputOf,
    keyed,
    counters,
    open: () => opens.forEach((f) => f()),
    close: () => closes.forEach((f) => f()),
  };
}

function fanOutWatermark(targets: WatermarkDeliver[]): WatermarkDeliver {
  if (targets.length === 0) return () => {};
  if (targets.length === 1) return targets[0];
  return (wm, idle) => {
    for (let i = 0; i < targets.length; i++) targets[i](wm, idle);
  };
}

function fanOut(targets: Deliver[]): Deliver {
  if (targets.length === 0) return () => {};
  if (targets.length === 1) return targets[0];
  return (v, ts, cr) => {
    for (let i = 0; i < targets.length; i++) targets[i](v, ts, cr);
  };
}
