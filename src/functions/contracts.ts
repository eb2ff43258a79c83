/** User-function contracts, in the vocabulary of Flink's DataStream API. */

/**
 * Time-to-live of a keyed state (processing time, as Flink's StateTtlConfig). An expired value is
 * never returned; it is removed when it is next touched and by background cleanup, so state of
 * keys that stop coming does not grow forever.
 */
export interface StateTtl {
  ttlMs: number;
  /** What refreshes the clock: writes only (default, Flink's OnCreateAndWrite) or reads too. */
  updateOn?: 'create-and-write' | 'read-and-write';
}

export interface StateOptions {
  ttl?: StateTtl;
}

export interface ValueState<S> {
  /** The value for the current key, or undefined. */
  value(): S | undefined;
  update(value: S): void;
  clear(): void;
}

export interface ListState<S> {
  /** The list for the current key ([] when none). The array is a copy: change it through add/update. */
  get(): S[];
  add(value: S): void;
  addAll(values: S[]): void;
  update(values: S[]): void;
  clear(): void;
}

export interface MapState<MK, MV> {
  get(key: MK): MV | undefined;
  put(key: MK, value: MV): void;
  putAll(entries: Iterable<[MK, MV]>): void;
  remove(key: MK): void;
  contains(key: MK): boolean;
  keys(): MK[];
  values(): MV[];
  entries(): Array<[MK, MV]>;
  size(): number;
  isEmpty(): boolean;
  clear(): void;
}

/** A value folded with a reduce function as values are added (Flink's ReducingState). */
export interface ReducingState<S> {
  get(): S | undefined;
  add(value: S): void;
  clear(): void;
}

/** Incremental aggregation: an accumulator per key (or window), as Flink's AggregateFunction. */
export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC;
  add(value: IN, accumulator: ACC): ACC;
  getResult(accumulator: ACC): OUT;
  /** Needed by merging (session) windows. */
  merge?(a: ACC, b: ACC): ACC;
}

export interface AggregatingState<IN, OUT> {
  get(): OUT | undefined;
  add(value: IN): void;
  clear(): void;
}

/** State primitives scoped to the current key, declared by name. */
export interface KeyedStateAccess {
  valueState<S>(name: string, options?: StateOptions): ValueState<S>;
  listState<S>(name: string, options?: StateOptions): ListState<S>;
  mapState<MK, MV>(name: string, options?: StateOptions): MapState<MK, MV>;
  reducingState<S>(name: string, reduce: (a: S, b: S) => S, options?: StateOptions): ReducingState<S>;
  aggregatingState<IN, ACC, OUT>(name: string, aggregate: AggregateFunction<IN, ACC, OUT>, options?: StateOptions): AggregatingState<IN, OUT>;
}

/** Timers of the current key (Flink's TimerService). A key has at most one timer per timestamp and domain. */
export interface TimerService {
  /** The operator's event-time watermark: -Infinity before the first, +Infinity once every input ended. */
  currentWatermark(): number;
  currentProcessingTime(): number;
  registerEventTimeTimer(timestampMs: number): void;
  registerProcessingTimeTimer(timestampMs: number): void;
  deleteEventTimeTimer(timestampMs: number): void;
  deleteProcessingTimeTimer(timestampMs: number): void;
}

export type TimeDomain = 'event-time' | 'processing-time';

/** What a process function (keyed or not) can do with the record at hand. */
export interface ProcessContext<U> {
  /** Event time of the record (epoch ms), NaN when it has none. */
  readonly timestampMs: number;
  /** Sends a record downstream, with the input's timestamp unless one is given. */
  emit(value: U, timestampMs?: number): void;
  /** Sends a record to the side output `tag` (`stream.sideOutput(tag)`). */
  output<X>(tag: string, value: X): void;
  /**
   * Sends `value` (the record being processed, or anything else) to the job's dead letters with
   * `reason`, the operator and the record's source position (from onTimer: the timer); the job
   * goes on. Counted in the operator's `deadLetters`.
   */
  deadLetter(value: unknown, reason: string): void;
}

/** What a function's `open` is told: where it runs (Flink's RuntimeContext). */
export interface OperatorInfo {
  /** This worker's subtask, 0 … parallelism − 1. */
  subtask: number;
  parallelism: number;
  /** The job's key groups (Flink's max parallelism): keyed state is partitioned into them, and each worker owns a contiguous range. */
  keyGroups: number;
}

/** Flink's ProcessFunction, on a stream that is not keyed: per-record logic without state or timers. */
export interface ProcessFunction<T, U> {
  open?(info: OperatorInfo): void;
  processElement(value: T, ctx: ProcessContext<U>): void;
  close?(): void;
}

export type ProcessFn<T, U> = ((value: T, ctx: ProcessContext<U>) => void) | ProcessFunction<T, U>;

export function toStatelessProcessFunction<T, U>(fn: ProcessFn<T, U>): ProcessFunction<T, U> {
  return typeof fn === 'function' ? { processElement: fn } : fn;
}

export interface KeyedContext<K, U> extends KeyedStateAccess, ProcessContext<U> {
  /** Key of the record (or timer) being processed. */
  readonly key: K;
  /** Event time of the record (epoch ms), NaN when it has none; in onTimer, the timer's time. */
  readonly timestampMs: number;
  /**
   * Creation time of the record being processed (epoch ms), NaN in onTimer. It is for latency
   * measurement only: the harness times a record's end-to-end latency from it.
   */
  readonly createdMs: number;
  /**
   * Sends a record downstream, with the input's timestamp unless one is given. `createdMs` and
   * `arrivedMs` are for latency measurement only. `createdMs` is the creation time the harness
   * measures the record from: by default the input record's, and none from onTimer, so a record
   * emitted from a timer is measured only if it is given one (a window result: its newest
   * element's). `arrivedMs`, from onTimer, is when the record that `createdMs` came from reached
   * this operator (processing time): the harness then counts the wait until the timer as its own
   * stage.
   */
  emit(value: U, timestampMs?: number, createdMs?: number, arrivedMs?: number): void;
  /** Sends a record to the side output `tag` (`stream.sideOutput(tag)`). */
  output<X>(tag: string, value: X): void;
  readonly timerService: TimerService;
}

export interface OnTimerContext<K, U> extends KeyedContext<K, U> {
  readonly timeDomain: TimeDomain;
}

export interface KeyedProcessFunction<T, K, U> {
  open?(info: OperatorInfo): void;
  processElement(value: T, ctx: KeyedContext<K, U>): void;
  /** A timer of the current key fired; timers fire in timestamp order. */
  onTimer?(timestampMs: number, ctx: OnTimerContext<K, U>): void;
  close?(): void;
}

export type KeyedProcessFn<T, K, U> = ((value: T, ctx: KeyedContext<K, U>) => void) | KeyedProcessFunction<T, K, U>;

export function toProcessFunction<T, K, U>(fn: KeyedProcessFn<T, K, U>): KeyedProcessFunction<T, K, U> {
  return typeof fn === 'function' ? { processElement: fn } : fn;
}

/** Where a function puts what it emits (flatMap, a window's process function). */
export interface Collector<T> {
  collect(value: T): void;
}

/** A record of a two-input operator (joins, coGroup): which input it came from, and the value. */
export type Tagged<A, B> = { side: 0; value: A } | { side: 1; value: B };
