import type { Codec } from '../channel/codec.ts';
import type { SinkSpec } from '../connectors/types.ts';
import { WeirError } from '../errors.ts';
import { limits } from '../limits.ts';
import { checkKnownKeys, type KeySet } from '../util/known-keys.ts';
import { checkOperatorOptions, operatorOptionKeys } from './operator-options.ts';
import { toProcessFunction, toStatelessProcessFunction, type KeyedProcessFn, type ProcessFn } from '../functions/contracts.ts';
import { type Collector, type ErrorPolicy, type JobGraph, type NewNode, type NodeId } from './graph.ts';
import { windowKeyedStream, type WindowedStream } from './windowed-stream.ts';
import { intervalJoin } from './joins.ts';
import { AllWindowedStream } from './all-windowed-stream.ts';
import { keyedTopN, type TopNOptions } from './top-n.ts';
import type { TopNUpsert } from '../time/continuous-top-n.ts';
import type { Window, WindowAssigner } from '../time/windows.ts';
import { expectFolded, rejectAsyncFunction, rejectAsyncMethods } from '../functions/sync.ts';
import { asyncSettings, type AsyncMapFn, type AsyncMapFunction, type MapAsyncOptions } from './async-options.ts';
import type { BroadcastOptions, BroadcastProcessFunction, KeyedBroadcastProcessFunction } from './broadcast.ts';

export interface OperatorOptions {
  /** Name in metrics and errors (unique; a suffix is added on collision). */
  name?: string;
  /** Stable id for state across job changes. */
  uid?: string;
  /**
   * What a record this operator fails on does (its function throws, its key is missing, it is too
   * large for the exchange): 'fail' fails the job, 'dead-letter' sends it to the dead letters and
   * goes on. Default: the job's onError (run option, defineJob setting, --on-error), else 'fail'.
   */
  onError?: ErrorPolicy;
}

export interface KeyByOptions<T = unknown> extends OperatorOptions {
  /** How records are encoded when they cross to another worker (default: the job's codec, objectCodec() unless set). */
  codec?: Codec<unknown>;
  /**
   * A combiner (Hadoop's, Beam's; Flink SQL's mini-batch local aggregation): records of one key
   * that a worker sends within a batch are folded into one, `combine(earlier, later)`, before they
   * cross, so the reader gets fewer records — one per key per batch and worker. For readers whose
   * result does not depend on how records are grouped (counts, sums, sets of ids as records that
   * hold counts or sets). The combined record carries the newest timestamp of its records. A batch
   * ends combineDelayMs after its first record, when the worker runs out of input, before a
   * watermark would make a held record late, and before every checkpoint barrier, micro-batch
   * epoch end and end of input (so exactly-once holds). Keys must be strings or finite numbers to
   * be combined; records of other keys go as themselves. Not with a window reading the keyBy:
   * window aggregates pre-aggregate by themselves.
   */
  combine?(earlier: T, later: T): T;
  /** The most a record waits in a combine batch, ms (default 100; 0: batches end with each worker round). */
  combineDelayMs?: number;
}

/** A stream of records of type T: the DataStream of Flink, the KStream of Kafka Streams. */
export class DataStream<T> {
  constructor(
    /** The job graph this stream belongs to (the operator producing it is graph.nodes[nodeId]). */
    readonly graph: JobGraph,
    readonly nodeId: NodeId,
  ) {}

  /** Renames the operator that produces this stream. */
  name(name: string): this {
    this.graph.rename(this.nodeId, name);
    return this;
  }

  /** Sets a stable uid on the operator that produces this stream. */
  uid(uid: string): this {
    this.graph.nodes[this.nodeId].uid = uid;
    return this;
  }

  map<U>(fn: (value: T) => U, options: OperatorOptions = {}): DataStream<U> {
    checkOperatorOptions('map', options);
    return this.derive<U>({ kind: 'map', input: this.nodeId, fn: fn as (v: unknown) => unknown, ...options }, fn, 'map function');
  }

  /**
   * An asynchronous map (Flink's AsyncDataStream): `fn` returns a Promise — a lookup in a store, a
   * request to a service — and its result goes downstream. At most `capacity` requests are in
   * flight per worker; then the worker stops taking input until one completes. Results come in
   * input order (`ordered`, the default) or as they complete, never across a watermark. Requests in
   * flight are part of checkpoints and are issued again on recovery. See MapAsyncOptions.
   * `fn` may also be `{ open, map, close }` (AsyncMapFunction), to make a client per worker and close it with the job.
   */
  mapAsync<U>(fn: AsyncMapFn<T, U>, options: MapAsyncOptions = {}): DataStream<U> {
    checkOperatorOptions('mapAsync', options, mapAsyncOptionKeys);
    const { capacity: _c, timeoutMs: _t, ordered: _o, retry: _r, ...rest } = options;
    const asyncFn = (typeof fn === 'function' ? { map: fn } : fn) as AsyncMapFunction<unknown, unknown>;
    const node = this.graph.add({ kind: 'mapAsync', input: this.nodeId, fn: asyncFn, async: asyncSettings(options, options.name ?? 'mapAsync'), ...rest });
    if (typeof asyncFn?.map !== 'function') {
      throw new WeirError('WEIR_JOB_DEFINITION', `mapAsync "${node.name}": takes a function or { open?, map, close? }, not ${typeof fn}`, { operator: node.name });
    }
    // Life-cycle methods are called and not awaited: an async one's work would be lost.
    rejectAsyncFunction(asyncFn.open, node.name, "mapAsync function's open");
    rejectAsyncFunction(asyncFn.close, node.name, "mapAsync function's close");
    return new DataStream<U>(this.graph, node.id);
  }

  filter(fn: (value: T) => boolean, options: OperatorOptions = {}): DataStream<T> {
    checkOperatorOptions('filter', options);
    return this.derive<T>({ kind: 'filter', input: this.nodeId, fn: fn as (v: unknown) => boolean, ...options }, fn, 'filter function');
  }

  /** Zero or more records per record: collected with `out.collect(r)` (Flink's), or returned as an array (Array#flatMap's). */
  flatMap<U>(fn: (value: T, out: Collector<U>) => void | Iterable<U>, options: OperatorOptions = {}): DataStream<U> {
    checkOperatorOptions('flatMap', options);
    return this.derive<U>({ kind: 'flatMap', input: this.nodeId, fn: fn as (v: unknown, o: Collector<unknown>) => void, ...options }, fn, 'flatMap function');
  }

  /**
   * A process function (Flink's ProcessFunction) on a stream that is not keyed: `(value, ctx) => …`
   * or `{ open, processElement, close }`, where ctx can `emit(value)` any number of records,
   * `output(tag, value)` to a side output and `deadLetter(value, reason)`. No state, no timers:
   * those need `keyBy(…).process(…)`.
   */
  process<U>(fn: ProcessFn<T, U>, options: OperatorOptions = {}): DataStream<U> {
    checkOperatorOptions('process', options);
    const node = this.graph.add({ kind: 'statelessProcess', input: this.nodeId, fn: toStatelessProcessFunction(fn) as never, ...options });
    if (typeof fn === 'function') rejectAsyncFunction(fn, node.name, 'process function');
    else rejectAsyncMethods(fn, node.name, 'process function');
    return new DataStream<U>(this.graph, node.id);
  }

  /** Partitions the stream by key: every record of a key goes to the same worker, always the same one. */
  keyBy<K>(key: (value: T) => K, options: KeyByOptions<T> = {}): KeyedStream<T, K> {
    checkOperatorOptions('keyBy', options, keyByOptionKeys);
    const { codec, combine, combineDelayMs, ...rest } = options;
    checkCombine(combine, combineDelayMs);
    const node = this.graph.add({ kind: 'keyBy', input: this.nodeId, key: key as (v: unknown) => unknown, codec, combine: combine as ((a: unknown, b: unknown) => unknown) | undefined, combineDelayMs, ...rest });
    rejectAsyncFunction(key, node.name, 'key selector');
    if (combine !== undefined) rejectAsyncFunction(combine, node.name, 'combine function');
    return new KeyedStream<T, K>(this.graph, node.id);
  }

  /**
   * Windows over the whole stream, not per key (Flink's windowAll), computed in parallel: every
   * worker pre-aggregates its records per window and one worker merges the partials of each window.
   * Event-time, non-merging windows: `.windowAll(TumblingEventTimeWindows.of(10_000)).aggregate(count)`.
   */
  windowAll<W extends Window>(assigner: WindowAssigner<T, W>): AllWindowedStream<T, W> {
    return new AllWindowedStream(this, assigner);
  }

  /** Every record of this stream to every worker, for `keyed.connect(broadcast).process(…)` (Flink's broadcast state pattern). */
  broadcast(options: BroadcastOptions = {}): BroadcastStream<T> {
    checkKnownKeys('broadcast', options, broadcastOptionKeys, 'WEIR_JOB_DEFINITION');
    const node = this.graph.add({ kind: 'broadcast', input: this.nodeId, codec: options.codec, name: options.name });
    return new BroadcastStream<T>(this.graph, node.id);
  }

  /**
   * This stream beside a broadcast stream: `.process({ processElement, processBroadcastElement })`.
   * A keyed stream's function has keyed state and timers (Flink's KeyedBroadcastProcessFunction);
   * any other stream's records stay on their worker (Flink's BroadcastProcessFunction), which
   * makes a broadcast join: each worker looks its records up in a table every worker holds.
   */
  connect<B>(broadcast: BroadcastStream<B>): UnkeyedBroadcastConnectedStream<T, B> {
    if (broadcast.graph !== this.graph) throw new WeirError('WEIR_JOB_DEFINITION', 'connect: streams belong to different jobs');
    return new UnkeyedBroadcastConnectedStream<T, B>(this, broadcast);
  }

  /** Merges streams of the same type. */
  union(...others: DataStream<T>[]): DataStream<T> {
    for (const other of others) {
      if (other.graph !== this.graph) throw new WeirError('WEIR_JOB_DEFINITION', 'union: streams belong to different jobs');
    }
    return this.derive<T>({ kind: 'union', inputs: [this.nodeId, ...others.map((o) => o.nodeId)] });
  }

  /**
   * The records the operator producing this stream sent to side output `tag` with
   * `ctx.output(tag, value)` (Flink's getSideOutput). Records sent to a tag nobody reads go to the
   * dead letters, never silently away.
   */
  sideOutput<X>(tag: string, options: OperatorOptions = {}): DataStream<X> {
    checkOperatorOptions('sideOutput', options);
    return this.derive<X>({ kind: 'sideOutput', input: this.nodeId, tag, name: options.name ?? `${this.graph.nodes[this.nodeId].name}:${tag}`, uid: options.uid });
  }

  /** Writes the stream to a sink. Ends the chain. */
  sinkTo(sink: SinkSpec<T>, options: OperatorOptions = {}): void {
    checkOperatorOptions('sinkTo', options);
    this.graph.add({ kind: 'sink', input: this.nodeId, spec: sink as SinkSpec<unknown>, name: options.name ?? sink.name, uid: options.uid });
  }

  /** Adds `node`; its user function `fn` (the operator's `role`) must not be async. */
  protected derive<U>(node: NewNode, fn?: unknown, role?: string): DataStream<U> {
    const added = this.graph.add(node);
    if (role !== undefined) rejectAsyncFunction(fn, added.name, role);
    return new DataStream<U>(this.graph, added.id);
  }
}

/**
 * A stream partitioned by key. Keyed operators see state scoped to the current key; any other
 * operator (map, sinkTo, …) runs on the partitioned stream, on the worker that owns the key.
 */
export class KeyedStream<T, K> extends DataStream<T> {

  /** A keyed process function: per-record logic with keyed state (Flink's KeyedProcessFunction). */
  override process<U>(fn: KeyedProcessFn<T, K, U>, options: OperatorOptions = {}): DataStream<U> {
    checkOperatorOptions('process', options);
    const node = this.graph.add({ kind: 'process', input: this.nodeId, fn: toProcessFunction(fn) as never, ...options });
    if (typeof fn === 'function') rejectAsyncFunction(fn, node.name, 'process function');
    else rejectAsyncMethods(fn, node.name, 'process function');
    return new DataStream<U>(this.graph, node.id);
  }

  override connect<B>(broadcast: BroadcastStream<B>): BroadcastConnectedStream<T, K, B> {
    if (broadcast.graph !== this.graph) throw new WeirError('WEIR_JOB_DEFINITION', 'connect: streams belong to different jobs');
    return new BroadcastConnectedStream<T, K, B>(this, broadcast);
  }

  /** Windows per key (Flink's KeyedStream.window): `.window(TumblingEventTimeWindows.of(10_000)).aggregate(…)`. */
  window<W extends Window>(assigner: WindowAssigner<T, W>): WindowedStream<T, K, W> {
    this.refuseCombine('window', 'window aggregates pre-aggregate by themselves');
    return windowKeyedStream(this, assigner);
  }

  /** Interval join with another keyed stream (Flink's KeyedStream.intervalJoin): `.intervalJoin(other).between(lowerMs, upperMs).process(…)`. */
  intervalJoin<B>(other: KeyedStream<B, K>) {
    this.refuseCombine('intervalJoin', 'the join pairs records by their own timestamps');
    other.refuseCombine('intervalJoin', 'the join pairs records by their own timestamps');
    return intervalJoin(this, other);
  }

  /** Readers that place each record by its own timestamp cannot take combined records, which carry their newest one. */
  private refuseCombine(reader: string, why: string): void {
    const node = this.graph.nodes[this.nodeId];
    if (node.kind === 'keyBy' && node.combine !== undefined) {
      throw new WeirError('WEIR_JOB_DEFINITION', `keyBy "${node.name}": combine cannot feed ${reader}: ${why}, and a combined record carries only the newest timestamp of its records`);
    }
  }

  /**
   * The continuous top-N of the keys (Flink SQL's Top-N): each key's value is its latest record,
   * or its running `aggregate`; keys rank by `by(value)`, highest first (equal scores: by the key's
   * JSON). Emits `{ rank, key, value }` for every rank whose row changes: upserts keyed by rank, so
   * applying them in order gives the current ranking.
   */
  topN<V = T, ACC = unknown>(n: number, by: (value: V) => number, options: TopNOptions<T, ACC, V> = {}): DataStream<TopNUpsert<K, V>> {
    return keyedTopN<T, K, ACC, V>(this, n, by, options);
  }

  /** Rolling reduce per key: emits the updated aggregate after every record (as Flink's KeyedStream.reduce). */
  reduce(fn: (accumulator: T, value: T) => T, options: OperatorOptions = {}): DataStream<T> {
    checkOperatorOptions('reduce', options);
    rejectAsyncFunction(fn, options.name ?? 'reduce', 'reduce function');
    return this.process<T>(
      (value, ctx) => {
        const state = ctx.valueState<T>('reduce');
        const previous = state.value();
        const next = previous === undefined ? value : expectFolded(fn(previous, value), 'reduce function');
        state.update(next);
        ctx.emit(next);
      },
      { ...options, name: options.name ?? 'reduce' },
    );
  }
}

function checkCombine(combine: unknown, delayMs: unknown): void {
  if (combine !== undefined && typeof combine !== 'function') throw new WeirError('WEIR_JOB_DEFINITION', `keyBy: combine must be a function (earlier, later) => combined, not ${typeof combine}`);
  if (delayMs === undefined) return;
  if (combine === undefined) throw new WeirError('WEIR_JOB_DEFINITION', 'keyBy: combineDelayMs without combine');
  if (typeof delayMs !== 'number' || !Number.isInteger(delayMs) || delayMs < 0 || delayMs > limits.combineDelayMsMax) {
    throw new WeirError('WEIR_JOB_DEFINITION', `keyBy: combineDelayMs must be an integer from 0 to ${limits.combineDelayMsMax}, not ${JSON.stringify(delayMs)}`);
  }
}

const keyByOptionKeys = { ...operatorOptionKeys, codec: true, combine: true, combineDelayMs: true } as const satisfies KeySet<KeyByOptions>;
const mapAsyncOptionKeys = { ...operatorOptionKeys, capacity: true, timeoutMs: true, ordered: true, retry: true } as const satisfies KeySet<MapAsyncOptions>;
const broadcastOptionKeys = { name: true, codec: true } as const satisfies KeySet<BroadcastOptions>;

/** A stream whose every record goes to every worker (`stream.broadcast()`). */
export class BroadcastStream<T> {
  constructor(
    readonly graph: JobGraph,
    readonly nodeId: NodeId,
  ) {}
}

/** A stream that is not keyed connected to a broadcast stream (`stream.connect(broadcast)`). */
export class UnkeyedBroadcastConnectedStream<T, B> {
  constructor(
    protected readonly main: DataStream<T>,
    protected readonly broadcast: BroadcastStream<B>,
  ) {}

  process<U>(fn: BroadcastProcessFunction<T, B, U>, options: OperatorOptions = {}): DataStream<U> {
    if (typeof fn === 'object' && fn !== null && 'onTimer' in fn) {
      throw new WeirError('WEIR_JOB_DEFINITION', `connect(broadcast).process "${options.name ?? 'broadcast-process'}": a stream that is not keyed has no timers (onTimer); keyBy it first for keyed state and timers`);
    }
    return broadcastProcess<U>(this.main, this.broadcast, fn, options);
  }
}

/** A keyed stream connected to a broadcast stream (`keyed.connect(broadcast)`). */
export class BroadcastConnectedStream<T, K, B> extends UnkeyedBroadcastConnectedStream<T, B> {
  constructor(keyed: KeyedStream<T, K>, broadcast: BroadcastStream<B>) {
    super(keyed, broadcast);
  }

  override process<U>(fn: KeyedBroadcastProcessFunction<T, K, B, U>, options: OperatorOptions = {}): DataStream<U> {
    return broadcastProcess<U>(this.main, this.broadcast, fn, options);
  }
}

function broadcastProcess<U>(main: DataStream<unknown>, broadcast: BroadcastStream<unknown>, fn: BroadcastProcessFunction<never, never, U> | KeyedBroadcastProcessFunction<never, never, never, U>, options: OperatorOptions): DataStream<U> {
  checkOperatorOptions('process', options);
  if (typeof fn !== 'object' || fn === null || typeof fn.processElement !== 'function' || typeof fn.processBroadcastElement !== 'function') {
    throw new WeirError('WEIR_JOB_DEFINITION', 'connect(broadcast).process: the function must be an object with processElement and processBroadcastElement');
  }
  const graph = main.graph;
  const node = graph.add({ kind: 'broadcastProcess', input: main.nodeId, broadcastInput: broadcast.nodeId, fn: fn as never, ...options, name: options.name ?? 'broadcast-process' });
  rejectAsyncMethods(fn, node.name, 'broadcast process function');
  rejectAsyncFunction(fn.processBroadcastElement, node.name, "broadcast process function's processBroadcastElement");
  return new DataStream<U>(graph, node.id);
}
