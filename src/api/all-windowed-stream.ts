/**
 * Windows over a stream that is not keyed (Flink's AllWindowedStream), computed in parallel:
 *
 *   stream.windowAll(TumblingEventTimeWindows.of(10_000)).aggregate(count)
 *   stream.windowAll(SlidingEventTimeWindows.of(60_000, 10_000)).topK(5, (t) => t.amount)
 *
 * Flink runs windowAll on one task, which then sees every record. Here every worker
 * pre-aggregates the records it has (a shard per sending worker, an ordinary keyed window), and
 * only the shards' partial results of a window cross to one worker, which merges them when the
 * watermark passes the window's end (src/time/window-all.ts). So the aggregate must be mergeable
 * (`merge`, and a reduce function associative and commutative), and windows must be event-time and
 * not merging (sessions need a key).
 */
import { objectCodec } from '../channel/object-codec.ts';
import { WeirError } from '../errors.ts';
import type { AggregateFunction, OperatorInfo } from '../functions/contracts.ts';
import { keyGroupOf, workerOfKeyGroup } from '../runtime/keys.ts';
import type { DataStream, OperatorOptions } from './stream.ts';
import { WindowedStream } from './windowed-stream.ts';
import { checkOperatorOptions, checkWindowFunction } from './operator-options.ts';
import { rejectAsyncFunction, rejectAsyncMethods, expectFolded } from '../functions/sync.ts';
import { LATE_RECORDS_TAG } from '../time/window-operator.ts';
import { checkAllWindowsAssigner, finalWindowMerge, type AllWindowFn, type MergeInput, type Sharded, type WindowPartial } from '../time/window-all.ts';
import { checkK, insertRanked, mergeRankings, scoreOf, tieBreakOf, type RankEntry } from '../time/ranking.ts';
import type { Trigger } from '../time/triggers.ts';
import type { Window, WindowAssigner } from '../time/windows.ts';

/** One window's ranking: best first, `rank` from 1. */
export interface WindowRanking<E> {
  start: number;
  end: number;
  ranking: Array<E & { rank: number }>;
}

export class AllWindowedStream<T, W extends Window> {
  private allowedLatenessMs = 0;
  private lateDataTag = LATE_RECORDS_TAG;

  constructor(
    readonly stream: DataStream<T>,
    readonly assigner: WindowAssigner<T, W>,
  ) {
    checkAllWindowsAssigner(assigner);
  }

  /** As keyed windows: late records within `lateMs` update the window and fire it again. */
  allowedLateness(lateMs: number): this {
    if (!(lateMs >= 0) || !Number.isFinite(lateMs)) throw new WeirError('WEIR_JOB_DEFINITION', `allowedLateness: lateMs must be a finite number ≥ 0, not ${lateMs}`);
    this.allowedLatenessMs = lateMs;
    return this;
  }

  /** Records too late for every window of theirs go to side output `tag` of the returned stream (default 'late-records'). */
  sideOutputLateData(tag: string): this {
    if (typeof tag !== 'string' || tag === '') throw new WeirError('WEIR_JOB_DEFINITION', 'sideOutputLateData: a tag is required');
    this.lateDataTag = tag;
    return this;
  }

  /** Incremental aggregation per window; `merge` is required (the shards' partials are merged). */
  aggregate<ACC, R>(aggregate: AggregateFunction<T, ACC, R>, windowFn?: undefined, options?: OperatorOptions): DataStream<R>;
  aggregate<ACC, R, OUT>(aggregate: AggregateFunction<T, ACC, R>, windowFn: AllWindowFn<R, OUT, W>, options?: OperatorOptions): DataStream<OUT>;
  aggregate<ACC, R, OUT>(aggregate: AggregateFunction<T, ACC, R>, windowFn?: AllWindowFn<R, OUT, W>, options: OperatorOptions = {}): DataStream<OUT | R> {
    const name = options.name ?? `windowAll(${this.assigner.description}).aggregate`;
    if (typeof aggregate.merge !== 'function') {
      throw new WeirError('WEIR_JOB_DEFINITION', `${name}: windowAll pre-aggregates on every worker and merges the partials, so its AggregateFunction needs merge`);
    }
    rejectAsyncMethods(aggregate, name, 'window aggregate function');
    if (windowFn != null) checkWindowFunction(windowFn, name, 'aggregate', false);
    rejectAsyncFunction(windowFn, name, 'window function');
    return this.build<ACC, R, OUT>(aggregate, windowFn ?? undefined, name, options);
  }

  /** Incremental reduce per window; `fn` must be associative and commutative (partials are reduced in any order). */
  reduce(fn: (a: T, b: T) => T, windowFn?: undefined, options?: OperatorOptions): DataStream<T>;
  reduce<OUT>(fn: (a: T, b: T) => T, windowFn: AllWindowFn<T, OUT, W>, options?: OperatorOptions): DataStream<OUT>;
  reduce<OUT>(fn: (a: T, b: T) => T, windowFn?: AllWindowFn<T, OUT, W>, options: OperatorOptions = {}): DataStream<OUT | T> {
    const name = options.name ?? `windowAll(${this.assigner.description}).reduce`;
    rejectAsyncFunction(fn, name, 'reduce function');
    if (windowFn != null) checkWindowFunction(windowFn, name, 'reduce', false);
    rejectAsyncFunction(windowFn, name, 'window function');
    const reduce = (a: T, b: T) => expectFolded(fn(a, b), 'reduce function');
    // Accumulators are one-element arrays: a window that got no record has none (and [] merges as nothing).
    const reducing: AggregateFunction<T, T[], T> = {
      createAccumulator: () => [],
      add: (value, acc) => (acc.length === 0 ? [value] : [reduce(acc[0], value)]),
      merge: (a, b) => (a.length === 0 ? b : b.length === 0 ? a : [reduce(a[0], b[0])]),
      getResult: (acc) => acc[0],
    };
    return this.build<T[], T, OUT>(reducing, windowFn ?? undefined, name, options);
  }

  /**
   * The `k` records with the highest `by(record)` of each window, one record per window:
   * `{ start, end, ranking: [{ rank: 1, value }, …] }`. Equal scores rank by the records' JSON.
   * Each shard keeps only its best k per window, so no worker holds more than k records of a window
   * per shard.
   */
  topK(k: number, by: (value: T) => number, options: OperatorOptions = {}): DataStream<WindowRanking<{ value: T }>> {
    const name = options.name ?? `windowAll(${this.assigner.description}).topK(${k})`;
    return this.rank<{ value: T }>(k, by, (value) => value, (value) => ({ value }), name, options);
  }

  /** A ranking per window of the records' entries (`entryOf`), scored by `by`, ties broken by `identity`'s JSON. */
  rank<E>(k: number, by: (value: T) => number, identity: (value: T) => unknown, entryOf: (value: T) => E, name: string, options: OperatorOptions): DataStream<WindowRanking<E>> {
    checkK(k, name);
    rejectAsyncFunction(by, name, 'score function');
    const ranking: AggregateFunction<T, RankEntry<T>[], RankEntry<T>[]> = {
      createAccumulator: () => [],
      add: (value, acc) => insertRanked(acc, { score: scoreOf(by, value, name), tie: tieBreakOf(identity(value)), value }, k),
      merge: (a, b) => mergeRankings(a, b, k),
      getResult: (acc) => acc,
    };
    const toRanking: AllWindowFn<RankEntry<T>[], WindowRanking<E>, W> = (window, [entries], out) =>
      out.collect({ start: window.start, end: window.end, ranking: entries.map((e, i) => ({ ...entryOf(e.value), rank: i + 1 })) });
    return this.build<RankEntry<T>[], RankEntry<T>[], WindowRanking<E>>(ranking, toRanking, name, options) as DataStream<WindowRanking<E>>;
  }

  private build<ACC, R, OUT>(aggregate: AggregateFunction<T, ACC, R>, windowFn: AllWindowFn<R, OUT, W> | undefined, name: string, options: OperatorOptions): DataStream<OUT | R> {
    checkOperatorOptions(`windowAll ${name}`, options);
    const { assigner } = this;
    // Each record's shard is the worker it is on: that worker's share is pre-aggregated as one, by
    // the shard's window operator on the same worker (shardKeyOf).
    let shard = 0;
    const sharded = this.stream.process<Sharded<T>>(
      {
        open: (info) => void (shard = shardKeyOf(info)),
        processElement: (value, ctx) => ctx.emit({ shard, value }),
      },
      { name: `${name}:shard`, onError: options.onError },
    );
    const shardAssigner: WindowAssigner<Sharded<T>, W> = {
      description: assigner.description,
      isEventTime: assigner.isEventTime,
      // No element when the window operator places a partial: an assigner with panes does not read it.
      assignWindows: (element, timestampMs, ctx) => assigner.assignWindows(element?.value as T, timestampMs, ctx),
      defaultTrigger: () => assigner.defaultTrigger() as unknown as Trigger<Sharded<T>, W>,
      windowOf: (start, end) => assigner.windowOf(start, end),
      // A shard's records are folded per pane on their worker before they cross (pre-aggregation).
      panes: assigner.panes,
    };
    const shardAggregate: AggregateFunction<Sharded<T>, ACC, ACC> = {
      createAccumulator: () => aggregate.createAccumulator(),
      add: (sharded, acc) => aggregate.add(sharded.value, acc),
      getResult: (acc) => acc,
      merge: (a, b) => aggregate.merge!(a, b),
    };
    // Internal shapes cross these exchanges, so they use objectCodec (what JSON gives back, in
    // binary where it can) whatever the job's default codec.
    const partials = new WindowedStream(sharded.keyBy((s) => s.shard, { name: `${name}:by-shard`, codec: objectCodec() }), shardAssigner)
      .allowedLateness(this.allowedLatenessMs)
      .sideOutputLateData(this.lateDataTag)
      .aggregate<ACC, ACC, MergeInput<ACC>>(
        shardAggregate,
        (key, window, [acc], out) => out.collect({ partial: { shard: key, start: window.start, end: window.end, acc } satisfies WindowPartial<ACC> }),
        { name: `${name}:partial`, uid: options.uid === undefined ? undefined : `${options.uid}:partial`, onError: options.onError },
      );
    const late = partials.sideOutput<Sharded<T>>(this.lateDataTag, { name: `${name}:late` }).map((s): MergeInput<ACC> => ({ late: s.value }), { name: `${name}:late-unwrap` });
    return partials
      .union(late)
      .keyBy(() => 0, { name: `${name}:to-merge`, codec: objectCodec() })
      .process<OUT | R>(
        finalWindowMerge<ACC, R, OUT | R, W>({
          aggregate: aggregate as AggregateFunction<unknown, ACC, R>,
          windowOf: (start, end) => assigner.windowOf(start, end),
          allowedLatenessMs: this.allowedLatenessMs,
          lateDataTag: this.lateDataTag,
          windowFn: windowFn as AllWindowFn<R, OUT | R, W> | undefined,
        }),
        { name, uid: options.uid, onError: options.onError },
      );
  }
}

/**
 * The smallest number whose key group the worker `subtask` owns: the key of that worker's shard.
 * Keyed by their subtask numbers, the shards' windows ran where those numbers hash to (with two
 * workers, both on worker 0: the other worker's partials all crossed, and one worker did every
 * shard's firings and merges).
 */
export function shardKeyOf(info: OperatorInfo): number {
  for (let key = 0; ; key++) {
    if (workerOfKeyGroup(keyGroupOf(key, info.keyGroups), info.keyGroups, info.parallelism) === info.subtask) return key;
  }
}
