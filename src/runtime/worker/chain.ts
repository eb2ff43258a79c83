import type { ErrorPolicy, LogicalNode } from '../../api/graph.ts';
import type { SinkWriter } from '../../connectors/types.ts';
import { isRecordFailure, userFunctionError, WeirError } from '../../errors.ts';
import { asyncResultError, PromiseReturned } from '../../functions/sync.ts';
import type { StateStore } from '../../state/store.ts';
import type { OutputChecksum } from '../instrumentation/checksum.ts';
import type { LatencyRecorder } from '../instrumentation/latency-recorder.ts';
import { KeyedOperator } from './keyed-operator.ts';
import type { KeyGroupAssigner } from '../keys.ts';
import type { Plan } from '../plan.ts';
import { WatermarkCombiner, type WatermarkDeliver } from './watermarks.ts';
import { statelessProcess } from './stateless-process.ts';
import { AsyncOperator } from './async-operator.ts';
import type { BroadcastStates } from './broadcast-states.ts';
import { broadcastProcess } from './broadcast-process.ts';
import { Combiner } from './combiner.ts';
import { isWholeRecord, preAggregatingReader, type PartialAggregate, type PreAggregatedWire, type PreAggregator, type WholeRecord } from './pre-aggregator.ts';
import { keyBySender } from './key-by-sender.ts';
import { filterOperator, flatMapOperator, mapOperator, sinkOperator } from './record-operators.ts';
import type { SinkLatency } from '../instrumentation/sink-latency.ts';

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
  /** Records this operator sent to the dead letters. */
  deadLetters: number;
  /** A source's input that carried no record (blank lines). */
  skipped: number;
}

/** A position that is not a source record's (a timer's), for a dead letter. */
export interface DeadLetterPosition {
  partition: number;
  offset: number | string;
}

export interface ChainHooks {
  /** Sends a record into exchange `exchange` (the keyBy's index) for worker `target`. */
  send(exchange: number, target: number, value: unknown, timestampMs: number, createdMs: number): void;
  /** A new watermark status for exchange `exchange`'s rings (sent to every target, coalesced). */
  sendWatermark(exchange: number, watermarkMs: number, idle: boolean): void;
  /** Routes a key to its worker. */
  workerOfKey(key: unknown): number;
  sinkWriter(node: LogicalNode & { kind: 'sink' }): SinkWriter<unknown>;
  /** The job takes checkpoints: a two-phase sink's output becomes visible when one commits, not at a flush. */
  checkpointing: boolean;
  /**
   * To the dead letters, with the reason (and the error's stack): records sent to an unread side
   * output, records an operator failed on under onError 'dead-letter', records user code sent
   * there. The position is the record's being processed unless `at` says otherwise.
   */
  deadLetter(operator: string, reason: string, value: unknown, stack?: string, at?: DeadLetterPosition): void;
  /** The job-wide error policy (an operator's own onError wins); default 'fail'. */
  onError?: ErrorPolicy;
  /** This worker's keyed-state store (created on first use). */
  stateStore(): StateStore;
  keyGroups: number;
  /** A key group this worker owns (its first): where its non-keyed operator state (mapAsync's records in flight, its copy of broadcast state) is kept. */
  ownKeyGroup: number;
  /** Default 'hash' (runtime/keys.ts). */
  keyGroupAssigner?: KeyGroupAssigner;
  nowMs(): number;
  subtask: number;
  /** Present when the harness measures latency / checksums the output. */
  latency?: LatencyRecorder;
  checksum?: OutputChecksum;
  /** The end-to-end latency of records reaching the sinks, for the job's metrics. */
  sinkLatency?: SinkLatency;
}

export interface CompiledChain {
  /** Entry point of each node's consumers: a source's output, or an exchange's receiving side. */
  outputOf: Deliver[];
  /** The same for watermarks: a source's combined watermark, or an exchange's (min over senders). */
  watermarkOutputOf: WatermarkDeliver[];
  counters: OperatorCounters[];
  /** Per node: the watermark that reached it (a source: that it emitted), for the metrics; −∞ before the first. */
  watermarks: Float64Array;
  /** The keyed process operators of this worker (timers, TTL cleanup). */
  keyed: KeyedOperator[];
  /** The mapAsync operators of this worker (the loop drains their results: async-operator.ts). */
  asyncOperators: AsyncOperator[];
  /** The broadcast state of each broadcast process operator of this worker (checkpoints: broadcast-states.ts). */
  broadcastStates: BroadcastStates[];
  /** Sends every partial aggregate and combined record held for an exchange: before an epoch end, a barrier or an end of stream goes into one (pre-aggregator.ts, combiner.ts). */
  flushHeld(): void;
  /** The end of a worker round: combiners send the batches that are due (combiner.ts). */
  endRound(tookInput: boolean, nowMs: number): void;
  /** Keyed operators' open/close hooks. */
  open(): void;
  close(): void;
}

export function compileChain(plan: Plan, position: RecordPosition, hooks: ChainHooks): CompiledChain {
  const { graph } = plan;
  const counters: OperatorCounters[] = graph.nodes.map(() => ({ recordsIn: 0, recordsOut: 0, deadLetters: 0, skipped: 0 }));
  const inputOf: Deliver[] = new Array(graph.nodes.length);
  const outputOf: Deliver[] = new Array(graph.nodes.length);
  // Watermark inputs per (node, input position): a union combines its inputs, others forward.
  const watermarkInputsOf: WatermarkDeliver[][] = new Array(graph.nodes.length);
  const watermarkOutputOf: WatermarkDeliver[] = new Array(graph.nodes.length);
  const keyed: KeyedOperator[] = [];
  const asyncOperators: AsyncOperator[] = [];
  const broadcastStates: BroadcastStates[] = [];
  // What keyBys hold back from their exchanges, by node id: flushed upstream first (ids are in
  // topological order; the chain is compiled from the last), so a flush that waits for room and
  // drains a downstream exchange meanwhile can only add to holders flushed after it.
  const holders: Array<{ id: number; holder: PreAggregator | Combiner }> = [];
  /** The broadcast input of each broadcast process operator (compiled before the broadcast that feeds it). */
  const broadcastInputOf = new Map<number, Deliver>();
  const watermarks = new Float64Array(graph.nodes.length).fill(Number.NEGATIVE_INFINITY);
  const opens: Array<() => void> = [];
  const closes: Array<() => void> = [];
  const exchangeIndex = new Map(plan.exchanges.map((nodeId, index) => [nodeId, index]));

  const fail = (cause: unknown, node: LogicalNode): WeirError => {
    if (cause instanceof WeirError) return cause;
    if (cause instanceof PromiseReturned) return asyncResultError(cause.role, node.name, position.partition, position.offset);
    return userFunctionError(cause, node.name, position.partition, position.offset);
  };

  /**
   * `node` failed on the record `value`: under onError 'dead-letter' a failure of the record itself
   * (the operator's function threw, its key was missing, it was too large for the exchange) sends
   * it to the dead letters and the job goes on; anything else is thrown. A failure downstream
   * (another operator's, passed up through emit) is that operator's to handle, never this one's.
   */
  const reject = (cause: unknown, node: LogicalNode, c: OperatorCounters, value: unknown, at?: DeadLetterPosition): void => {
    const err = fail(cause, node);
    if ((node.onError ?? hooks.onError ?? 'fail') !== 'dead-letter' || !isRecordFailure(err, node.name)) throw err;
    c.deadLetters++;
    hooks.deadLetter(node.name, err.message, value, err.stack, at ?? (err.partition === undefined ? undefined : { partition: err.partition, offset: err.offset ?? -1 }));
  };

  /** Where `node`'s records to side output `tag` go: its readers, or the dead letters when it has none. */
  const sideOutputOf = (node: LogicalNode, c: OperatorCounters): ((tag: string, value: unknown, ts: number, cr: number) => void) => {
    const deliverOf = new Map<string, Deliver>();
    return (tag, value, ts, cr) => {
      let deliver = deliverOf.get(tag);
      if (deliver === undefined) {
        const readers = graph.sideOutputsOf(node.id, tag).map((reader) => inputOf[reader.id]);
        deliver =
          readers.length > 0
            ? fanOut(readers)
            : (v) => {
                c.deadLetters++;
                hooks.deadLetter(node.name, `side output "${tag}" has no reader`, v);
              };
        deliverOf.set(tag, deliver);
      }
      deliver(value, ts, cr);
    };
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
          watermarkInputsOf[id] = node.inputs.map((_, i) => (wm: number, idle: boolean) => {
            combiner.update(i, wm, idle);
            watermarks[id] = combiner.currentMs;
          });
        }
        break;
      }
      case 'map':
        inputOf[id] = mapOperator(node.fn, next, c, (e, v) => reject(e, node, c, v));
        break;
      case 'filter':
        inputOf[id] = filterOperator(node.fn, next, c, (e, v) => reject(e, node, c, v));
        break;
      case 'flatMap':
        inputOf[id] = flatMapOperator(node.fn, next, c, (e, v) => reject(e, node, c, v));
        break;
      case 'keyBy': {
        // Sending side: route by key into the exchange (key-by-sender.ts). The receiving side
        // delivers straight to the consumers (outputOf[id]), called by the worker when a frame arrives.
        const exchange = exchangeIndex.get(id);
        if (exchange === undefined) {
          // Nothing reads this keyBy (see plan.ts): records and watermarks end here.
          inputOf[id] = () => void c.recordsIn++;
          watermarkInputsOf[id] = [() => {}];
          break;
        }
        // A window aggregate reading it gets partials per key and pane instead of records (pre-aggregator.ts).
        const sender = keyBySender(node, exchange, preAggregatingReader(graph, node), {
          hooks,
          position,
          counters: c,
          reject: (e, operator, v) => reject(e, operator, counters[operator.id], v),
        });
        if (sender.preAggregator !== undefined) holders.push({ id, holder: sender.preAggregator });
        if (sender.combiner !== undefined) holders.push({ id, holder: sender.combiner });
        inputOf[id] = sender.deliver;
        watermarkInputsOf[id] = [sender.watermark];
        outputOf[id] = (v, ts, cr) => {
          c.recordsOut++;
          next(v, ts, cr);
        };
        break;
      }
      case 'process': {
        const keyBy = graph.nodes[node.input] as LogicalNode & { kind: 'keyBy' };
        const output = sideOutputOf(node, c);
        const operator = new KeyedOperator(node, keyBy.key, node.fn, hooks.stateStore(), hooks.keyGroups, position, {
          keyGroupAssigner: hooks.keyGroupAssigner,
          emit: next,
          countOut: () => c.recordsOut++,
          nowMs: hooks.nowMs,
          atTimerEmit: hooks.latency === undefined ? undefined : (arrivedMs, cr) => hooks.latency!.atTimerEmit(arrivedMs, cr),
          output,
          deadLetter(value, reason, at) {
            c.deadLetters++;
            hooks.deadLetter(node.name, reason, value, undefined, at);
          },
          reject: (err, value, at) => reject(err, node, c, value, at),
        });
        keyed.push(operator);
        opens.push(() => operator.open({ subtask: hooks.subtask, parallelism: plan.parallelism, keyGroups: hooks.keyGroups }));
        closes.push(() => operator.close());
        inputOf[id] =
          preAggregatingReader(graph, keyBy) === node
            ? (wire, ts, cr) => {
                c.recordsIn++;
                if (isWholeRecord(wire as PreAggregatedWire)) operator.processElement((wire as WholeRecord).r, ts, cr);
                else operator.processPartial(wire as PartialAggregate, ts, cr);
              }
            : (v, ts, cr) => {
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
      case 'broadcast': {
        // Sending side: every record to every worker. Receiving side: to the broadcast input of
        // each operator reading it (outputOf[id], called by the worker when a frame arrives).
        const exchange = exchangeIndex.get(id);
        if (exchange === undefined) {
          inputOf[id] = () => void c.recordsIn++;
          watermarkInputsOf[id] = [() => {}];
          break;
        }
        inputOf[id] = (v, ts, cr) => {
          c.recordsIn++;
          try {
            for (let target = 0; target < plan.parallelism; target++) hooks.send(exchange, target, v, ts, cr);
          } catch (e) {
            reject(e, node, c, v);
          }
        };
        watermarkInputsOf[id] = [(wm, idle) => hooks.sendWatermark(exchange, wm, idle)];
        const readers = fanOut(graph.consumersOf(id).map((consumer) => broadcastInputOf.get(consumer.id)!));
        outputOf[id] = (v, ts, cr) => {
          c.recordsOut++;
          readers(v, ts, cr);
        };
        break;
      }
      case 'broadcastProcess': {
        const input = graph.nodes[node.input];
        const compiled = broadcastProcess(node, {
          keyOf: input.kind === 'keyBy' ? input.key : undefined,
          next,
          watermarkNext,
          counters: c,
          position,
          hooks,
          output: sideOutputOf(node, c),
          reject: (err, value, at) => reject(err, node, c, value, at),
        });
        if (compiled.operator !== undefined) keyed.push(compiled.operator);
        broadcastStates.push(compiled.states);
        opens.push(() => node.fn.open?.({ subtask: hooks.subtask, parallelism: plan.parallelism, keyGroups: hooks.keyGroups }));
        closes.push(() => node.fn.close?.());
        inputOf[id] = compiled.deliver;
        broadcastInputOf.set(id, compiled.deliverBroadcast);
        watermarkInputsOf[id] = compiled.watermarkInputs;
        break;
      }
      case 'mapAsync': {
        const operator = new AsyncOperator(node, {
          next,
          watermarkNext,
          counters: c,
          position,
          policy: node.onError ?? hooks.onError ?? 'fail',
          deadLetter: (reason, value, stack, at) => hooks.deadLetter(node.name, reason, value, stack, at),
          stateStore: hooks.stateStore,
          keyGroup: hooks.ownKeyGroup,
          subtask: hooks.subtask,
        });
        asyncOperators.push(operator);
        opens.push(() => operator.openFunction({ subtask: hooks.subtask, parallelism: plan.parallelism, keyGroups: hooks.keyGroups }));
        closes.push(() => operator.close());
        inputOf[id] = (v, ts, cr) => operator.add(v, ts, cr);
        watermarkInputsOf[id] = [(wm, idle) => operator.onWatermark(wm, idle)];
        break;
      }
      case 'statelessProcess': {
        const compiled = statelessProcess(node.fn, {
          next,
          counters: c,
          output: sideOutputOf(node, c),
          deadLetter: (value, reason) => {
            c.deadLetters++;
            hooks.deadLetter(node.name, reason, value);
          },
          reject: (err, value) => reject(err, node, c, value),
        });
        inputOf[id] = compiled.deliver;
        opens.push(() => node.fn.open?.({ subtask: hooks.subtask, parallelism: plan.parallelism, keyGroups: hooks.keyGroups }));
        closes.push(() => node.fn.close?.());
        break;
      }
      case 'sink':
        inputOf[id] = sinkOperator(node, hooks.sinkWriter(node), c, position, hooks);
        break;
    }
    // The node's watermark for the metrics: any node but a source or a union (set above) notes
    // what reaches its one input. Wrapped here, before any upstream node's fan-out captures it.
    if (node.kind !== 'source' && node.kind !== 'union') {
      watermarkInputsOf[id] = watermarkInputsOf[id].map((input) => (wm: number, idle: boolean) => {
        if (wm > watermarks[id]) watermarks[id] = wm;
        input(wm, idle);
      });
    }
  }

  // A source's watermark is the one it emits (its partitions combined, see source-time.ts).
  for (const source of graph.nodes) {
    if (source.kind !== 'source') continue;
    const out = watermarkOutputOf[source.id];
    watermarkOutputOf[source.id] = (wm, idle) => {
      if (wm > watermarks[source.id]) watermarks[source.id] = wm;
      out(wm, idle);
    };
  }
  const held = holders.sort((a, b) => a.id - b.id).map((h) => h.holder);
  const combiners = held.filter((h): h is Combiner => h instanceof Combiner);
  return {
    outputOf,
    watermarkOutputOf,
    watermarks,
    keyed,
    asyncOperators,
    broadcastStates,
    counters,
    flushHeld: () => held.forEach((h) => h.flushAll()),
    endRound: (tookInput, nowMs) => combiners.forEach((c) => c.endRound(tookInput, nowMs)),
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
