/**
 * The fluent window API (Flink's WindowedStream): `keyed.window(assigner)` → optional trigger,
 * allowed lateness and late-data tag → one window function, which returns a DataStream.
 *
 * A WindowedStream only collects settings; the window function turns them into a window operator
 * (src/time/window-operator.ts), which is an ordinary keyed process function on the keyed stream.
 */
import { WeirError } from '../errors.ts';
import type { AggregateFunction } from '../functions/contracts.ts';
import type { DataStream, KeyedStream, OperatorOptions } from './stream.ts';
import { LATE_RECORDS_TAG, windowOperator } from '../time/window-operator.ts';
import { aggregateContents, listContents, reduceContents, toProcessWindowFunction, type ProcessWindowFn, type ProcessWindowFunction, type WindowContents } from '../time/window-functions.ts';
import type { Trigger } from '../time/triggers.ts';
import { isMergingAssigner, type Window, type WindowAssigner } from '../time/windows.ts';
import { rejectAsyncFunction, rejectAsyncMethods } from '../functions/sync.ts';
import { keyedWindowTopK } from './top-k.ts';
import type { WindowRanking } from './all-windowed-stream.ts';
import { distinctContents, type DistinctRecords } from '../time/distinct.ts';
import { preAggregationOf } from '../time/pre-aggregation.ts';
import type { LogicalNode } from './graph.ts';
import { checkOperatorOptions, checkWindowFunction } from './operator-options.ts';

export class WindowedStream<T, K, W extends Window> {
  private windowTrigger: Trigger<T, W>;
  private allowedLatenessMs = 0;
  private lateDataTag = LATE_RECORDS_TAG;
  private triggerReplaced = false;
  private preAggregated = true;

  constructor(
    readonly keyed: KeyedStream<T, K>,
    readonly assigner: WindowAssigner<T, W>,
  ) {
    this.windowTrigger = assigner.defaultTrigger();
  }

  /** Replaces the assigner's default trigger. */
  trigger(trigger: Trigger<T, W>): this {
    this.windowTrigger = trigger;
    this.triggerReplaced = true;
    return this;
  }

  /**
   * Keeps each window `lateMs` past its end (in event time): a record that arrives late but within
   * that time updates the window and fires it again. Default 0.
   */
  allowedLateness(lateMs: number): this {
    if (!(lateMs >= 0) || !Number.isFinite(lateMs)) throw new WeirError('WEIR_JOB_DEFINITION', `allowedLateness: lateMs must be a finite number ≥ 0, not ${lateMs}`);
    this.allowedLatenessMs = lateMs;
    return this;
  }

  /**
   * Records too late for every one of their windows go to side output `tag` of the returned
   * stream (`.sideOutput(tag)`). Without this they go to tag 'late-records' (LATE_RECORDS_TAG);
   * records sent to a tag nobody reads end up in the job's dead letters, so none is lost silently.
   */
  sideOutputLateData(tag: string): this {
    if (typeof tag !== 'string' || tag === '') throw new WeirError('WEIR_JOB_DEFINITION', 'sideOutputLateData: a tag is required');
    this.lateDataTag = tag;
    return this;
  }

  /**
   * Whether reduce and aggregate (with `merge`) may combine each key's records per pane before the
   * exchange, so that partial aggregates cross it instead of records (time/pre-aggregation.ts).
   * Default true; the results are the same either way. It applies to event-time tumbling and
   * sliding windows with their own trigger.
   */
  preAggregate(enabled: boolean): this {
    if (typeof enabled !== 'boolean') throw new WeirError('WEIR_JOB_DEFINITION', `preAggregate: enabled must be true or false, not ${String(enabled)}`);
    this.preAggregated = enabled;
    return this;
  }

  /** Incremental reduce per window; emits the reduced value (or what `windowFn` makes of it) when the window fires. */
  reduce(fn: (a: T, b: T) => T, windowFn?: undefined, options?: OperatorOptions): DataStream<T>;
  reduce<OUT>(fn: (a: T, b: T) => T, windowFn: ProcessWindowFn<T, OUT, K, W>, options?: OperatorOptions): DataStream<OUT>;
  reduce<OUT>(fn: (a: T, b: T) => T, windowFn?: ProcessWindowFn<T, OUT, K, W>, options: OperatorOptions = {}): DataStream<OUT | T> {
    return this.build<T, T, OUT | T>(reduceContents(fn), this.windowFunctionOf<T, OUT>(windowFn, 'reduce', options), 'reduce', options, [fn, windowFn]);
  }

  /** Incremental aggregation per window (Flink's AggregateFunction); session windows need `merge`. */
  aggregate<ACC, R>(aggregate: AggregateFunction<T, ACC, R>, windowFn?: undefined, options?: OperatorOptions): DataStream<R>;
  aggregate<ACC, R, OUT>(aggregate: AggregateFunction<T, ACC, R>, windowFn: ProcessWindowFn<R, OUT, K, W>, options?: OperatorOptions): DataStream<OUT>;
  aggregate<ACC, R, OUT>(aggregate: AggregateFunction<T, ACC, R>, windowFn?: ProcessWindowFn<R, OUT, K, W>, options: OperatorOptions = {}): DataStream<OUT | R> {
    const contents = aggregateContents(aggregate, isMergingAssigner(this.assigner));
    return this.build<ACC, R, OUT | R>(contents, this.windowFunctionOf<R, OUT>(windowFn, 'aggregate', options), 'aggregate', options, [aggregate, windowFn]);
  }

  /** Full-window function: keeps every record of the window and hands them all over when it fires. */
  process<OUT>(fn: ProcessWindowFn<T, OUT, K, W>, options: OperatorOptions = {}): DataStream<OUT> {
    checkWindowFunction(fn, this.nameOf('process', options), 'process', true);
    return this.build<T[], T, OUT>(listContents<T>(), toProcessWindowFunction(fn), 'process', options, [fn]);
  }

  /**
   * The `k` keys with the highest aggregate in each window, one record per window:
   * `{ start, end, ranking: [{ rank: 1, key, value }, …] }`, where value is the key's aggregate and
   * `by(value)` its score (default: the value itself, a number). Equal scores rank by the key's JSON.
   * Aggregated per key where the key lives, ranked per worker, merged once per window.
   */
  topK<ACC, R>(k: number, aggregate: AggregateFunction<T, ACC, R>, by?: (value: R) => number, options: OperatorOptions = {}): DataStream<WindowRanking<{ key: K; value: R }>> {
    return keyedWindowTopK(this, { allowedLatenessMs: this.allowedLatenessMs, triggerReplaced: this.triggerReplaced, assigner: this.assigner }, k, aggregate, by, options);
  }

  /**
   * The distinct records of each key and window: when the window fires, one record per distinct
   * `by(record)` (default: the whole record), the first that arrived, in arrival order (SQL's
   * SELECT DISTINCT per window). Only the first record of each value is kept.
   */
  distinct(by?: (value: T) => unknown, options: OperatorOptions = {}): DataStream<T> {
    const name = options.name ?? `${this.assigner.description}.distinct`;
    rejectAsyncFunction(by, name, 'distinct function');
    return this.build<DistinctRecords<T>, T, T>(distinctContents(by), passThrough<T, K, W>(), 'distinct', { ...options, name }, [by]);
  }

  /** The operator's name: its own, or the assigner's and the window function's. */
  private nameOf(what: string, options: OperatorOptions): string {
    return options.name ?? `${this.assigner.description}.${what}`;
  }

  /** reduce's and aggregate's window function: the one given, checked now rather than when a window fires, or the result as it is. */
  private windowFunctionOf<R, OUT>(windowFn: ProcessWindowFn<R, OUT, K, W> | undefined, what: string, options: OperatorOptions): ProcessWindowFunction<R, OUT | R, K, W> {
    if (windowFn == null) return passThrough<R, K, W>();
    checkWindowFunction(windowFn, this.nameOf(what, options), what, true);
    return toProcessWindowFunction(windowFn);
  }

  private build<C, R, OUT>(contents: WindowContents<T, C, R>, windowFunction: ProcessWindowFunction<R, OUT, K, W>, what: string, options: OperatorOptions, userFunctions: unknown[]): DataStream<OUT> {
    checkOperatorOptions(`window ${what}`, options);
    const name = this.nameOf(what, options);
    for (const fn of userFunctions) {
      if (typeof fn === 'function') rejectAsyncFunction(fn, name, `window ${what} function`);
      else if (typeof fn === 'object' && fn !== null) rejectAsyncMethods(fn, name, `window ${what} function`);
    }
    const fn = windowOperator<T, K, W, C, R, OUT>({
      assigner: this.assigner,
      trigger: this.windowTrigger,
      allowedLatenessMs: this.allowedLatenessMs,
      lateDataTag: this.lateDataTag,
      contents,
      windowFunction,
    });
    const stream = this.keyed.process<OUT>(fn, { ...options, name });
    const preAggregation = this.preAggregated ? preAggregationOf(this.assigner, contents as WindowContents<T, C, unknown>, this.triggerReplaced) : undefined;
    if (preAggregation !== undefined) (stream.graph.nodes[stream.nodeId] as LogicalNode & { kind: 'process' }).preAggregation = preAggregation;
    return stream;
  }
}

/** `keyed.window(assigner)`, as a function (KeyedStream.window delegates to it). */
export function windowKeyedStream<T, K, W extends Window>(keyed: KeyedStream<T, K>, assigner: WindowAssigner<T, W>): WindowedStream<T, K, W> {
  return new WindowedStream(keyed, assigner);
}

function passThrough<R, K, W extends Window>(): ProcessWindowFunction<R, R, K, W> {
  return {
    process(_key, _context, elements, out) {
      for (const element of elements) out.collect(element);
    },
  };
}
