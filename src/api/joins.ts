/**
 * Combining two streams, built only from union, keyBy and keyed process functions (no operator
 * kind of its own): each side's records are tagged `{ side: 0 | 1, value }`, so that two streams of
 * different types can be unioned, then keyed by the side's own key, so that records of both sides
 * with the same key meet on one worker, in one key's state.
 *
 *   connect(a, b).keyBy(ka, kb).process({ processElement1, processElement2, onTimer })
 *   coGroup(a, b).where(ka).equalTo(kb).window(assigner).apply((as, bs, out) => …)
 *   join(a, b).where(ka).equalTo(kb).window(assigner).apply((a, b) => …)
 *   intervalJoin(a.keyBy(ka), b.keyBy(kb)).between(lowerMs, upperMs).process((a, b, ctx) => …)
 */
import { WeirError } from '../errors.ts';
import type { KeyedContext, OnTimerContext } from '../functions/contracts.ts';
import type { Collector } from './graph.ts';
import { DataStream, type KeyByOptions, type KeyedStream, type OperatorOptions } from './stream.ts';
import { WindowedStream } from './windowed-stream.ts';
import { expectSync, rejectAsyncFunction, rejectAsyncMethods } from '../functions/sync.ts';
import { intervalJoinOperator, type IntervalJoinFn } from '../time/interval-join.ts';
import type { Trigger } from '../time/triggers.ts';
import type { Window, WindowAssigner } from '../time/windows.ts';

/** A record of a two-input operator, tagged with its side (0 = first stream, 1 = second). */
import type { OperatorInfo, Tagged } from '../functions/contracts.ts';
import { checkOperatorOptions, operatorOptionKeys } from './operator-options.ts';
import type { KeySet } from '../util/known-keys.ts';
export type { Tagged };

/** coGroup's options, and `what` its join passes on (the name its errors use). */
const coGroupOptionKeys = { ...operatorOptionKeys, what: true } as const;

/** A two-input keyBy's options: those of keyBy but combine (the two sides' records are not of one kind). */
export type TwoInputKeyByOptions = Omit<KeyByOptions, 'combine' | 'combineDelayMs'>;
const twoInputKeyByOptionKeys = { ...operatorOptionKeys, codec: true } as const satisfies KeySet<TwoInputKeyByOptions>;

function tagAndUnion<A, B>(first: DataStream<A>, second: DataStream<B>, what: string): DataStream<Tagged<A, B>> {
  const left = first.map((value): Tagged<A, B> => ({ side: 0, value }), { name: `${what}-tag-first` });
  const right = second.map((value): Tagged<A, B> => ({ side: 1, value }), { name: `${what}-tag-second` });
  return left.union(right);
}

function keyTagged<A, B, K>(tagged: DataStream<Tagged<A, B>>, keyA: (a: A) => K, keyB: (b: B) => K, options: TwoInputKeyByOptions): KeyedStream<Tagged<A, B>, K> {
  return tagged.keyBy((t) => (t.side === 0 ? keyA(t.value) : keyB(t.value)), options);
}

// ---------------------------------------------------------------------------------------------
// connect

/** Flink's KeyedCoProcessFunction: one function for two inputs, sharing the key's state and timers. */
export interface KeyedCoProcessFunction<A, B, K, U> {
  open?(info: OperatorInfo): void;
  processElement1(value: A, ctx: KeyedContext<K, U>): void;
  processElement2(value: B, ctx: KeyedContext<K, U>): void;
  onTimer?(timestampMs: number, ctx: OnTimerContext<K, U>): void;
  close?(): void;
}

export class ConnectedStreams<A, B> {
  constructor(
    readonly first: DataStream<A>,
    readonly second: DataStream<B>,
  ) {}

  /** Keys both sides; records of the two sides with equal keys meet in one key's state. */
  keyBy<K>(keyFirst: (value: A) => K, keySecond: (value: B) => K, options: TwoInputKeyByOptions = {}): ConnectedKeyedStreams<A, B, K> {
    checkOperatorOptions('keyBy', options, twoInputKeyByOptionKeys);
    return new ConnectedKeyedStreams(keyTagged(tagAndUnion(this.first, this.second, 'connect'), keyFirst, keySecond, { name: 'connect-key', ...options }));
  }
}

export class ConnectedKeyedStreams<A, B, K> {
  constructor(readonly tagged: KeyedStream<Tagged<A, B>, K>) {}

  process<U>(fn: KeyedCoProcessFunction<A, B, K, U>, options: OperatorOptions = {}): DataStream<U> {
    checkOperatorOptions('co-process', options);
    rejectAsyncMethods(fn, options.name ?? 'co-process', 'co-process function');
    return this.tagged.process<U>(
      {
        open: (info) => fn.open?.(info),
        processElement: (t, ctx) => (t.side === 0 ? fn.processElement1(t.value, ctx) : fn.processElement2(t.value, ctx)),
        onTimer: (timestampMs, ctx) => fn.onTimer?.(timestampMs, ctx),
        close: () => fn.close?.(),
      },
      { name: options.name ?? 'co-process', uid: options.uid, onError: options.onError },
    );
  }
}

/** Two streams, possibly of different types, for a two-input keyed function (Flink's DataStream.connect). */
export function connect<A, B>(first: DataStream<A>, second: DataStream<B>): ConnectedStreams<A, B> {
  return new ConnectedStreams(first, second);
}

// ---------------------------------------------------------------------------------------------
// windowed coGroup and join

/** Both sides' records of one key and window, and that window (Flink's CoGroupFunction, with the window it is called for). */
export type CoGroupFn<A, B, OUT, W extends Window = Window> = (first: A[], second: B[], out: Collector<OUT>, window: W) => void;

/** `coGroup(a, b).where(ka).equalTo(kb).window(assigner).apply(fn)`: per key and window, both sides' records. */
export function coGroup<A, B>(first: DataStream<A>, second: DataStream<B>): { where<K>(keyFirst: (a: A) => K): { equalTo(keySecond: (b: B) => K): { window<W extends Window>(assigner: WindowAssigner<unknown, W>): WindowedCoGroup<A, B, K, W> } } } {
  return {
    where: (keyFirst) => ({
      equalTo: (keySecond) => ({
        window: (assigner) => new WindowedCoGroup(first, second, keyFirst, keySecond, assigner),
      }),
    }),
  };
}

export class WindowedCoGroup<A, B, K, W extends Window> {
  private windowTrigger: Trigger<unknown, W> | undefined;
  private allowedLatenessMs = 0;
  private lateDataTag: string | undefined;

  constructor(
    private readonly first: DataStream<A>,
    private readonly second: DataStream<B>,
    private readonly keyFirst: (a: A) => K,
    private readonly keySecond: (b: B) => K,
    private readonly assigner: WindowAssigner<unknown, W>,
  ) {}

  trigger(trigger: Trigger<unknown, W>): this {
    this.windowTrigger = trigger;
    return this;
  }

  allowedLateness(lateMs: number): this {
    this.allowedLatenessMs = lateMs;
    return this;
  }

  /** Late records (tagged `{ side, value }`) go to this side output instead of 'late-records'. */
  sideOutputLateData(tag: string): this {
    this.lateDataTag = tag;
    return this;
  }

  /** `fn(firsts, seconds, out, window)` per key and window, when the window fires. */
  apply<OUT>(fn: CoGroupFn<A, B, OUT, W>, options: OperatorOptions & { what?: string } = {}): DataStream<OUT> {
    const what = options.what ?? 'coGroup';
    checkOperatorOptions(what, options, coGroupOptionKeys);
    rejectAsyncFunction(fn, options.name ?? what, `${what} function`);
    const keyed = keyTagged(tagAndUnion(this.first, this.second, what), this.keyFirst, this.keySecond, { name: `${what}-key` });
    const windowed = new WindowedStream<Tagged<A, B>, K, W>(keyed, this.assigner).allowedLateness(this.allowedLatenessMs);
    if (this.windowTrigger) windowed.trigger(this.windowTrigger);
    if (this.lateDataTag) windowed.sideOutputLateData(this.lateDataTag);
    return windowed.process<OUT>(
      (_key, window, elements, out) => {
        const firsts: A[] = [];
        const seconds: B[] = [];
        for (const t of elements) {
          if (t.side === 0) firsts.push(t.value);
          else seconds.push(t.value);
        }
        expectSync(fn(firsts, seconds, out, window), `${what} function`);
      },
      { name: options.name ?? `${what}(${this.assigner.description})`, uid: options.uid, onError: options.onError },
    );
  }
}

/**
 * `join(a, b).where(ka).equalTo(kb).window(assigner).apply((a, b) => out)`: the inner join of each
 * window — every pair of records with equal keys in the same window (Flink's join, a coGroup
 * that emits the cross product of the two sides).
 */
export function join<A, B>(first: DataStream<A>, second: DataStream<B>): { where<K>(keyFirst: (a: A) => K): { equalTo(keySecond: (b: B) => K): { window<W extends Window>(assigner: WindowAssigner<unknown, W>): WindowedJoin<A, B, K, W> } } } {
  return {
    where: (keyFirst) => ({
      equalTo: (keySecond) => ({
        window: (assigner) => new WindowedJoin(new WindowedCoGroup(first, second, keyFirst, keySecond, assigner)),
      }),
    }),
  };
}

export class WindowedJoin<A, B, K, W extends Window> {
  constructor(private readonly coGrouped: WindowedCoGroup<A, B, K, W>) {}

  trigger(trigger: Trigger<unknown, W>): this {
    this.coGrouped.trigger(trigger);
    return this;
  }

  allowedLateness(lateMs: number): this {
    this.coGrouped.allowedLateness(lateMs);
    return this;
  }

  sideOutputLateData(tag: string): this {
    this.coGrouped.sideOutputLateData(tag);
    return this;
  }

  /** One output per pair: `fn(first, second, window)`. */
  apply<OUT>(fn: (first: A, second: B, window: W) => OUT, options: OperatorOptions = {}): DataStream<OUT> {
    checkOperatorOptions('join', options);
    rejectAsyncFunction(fn, options.name ?? 'join', 'join function');
    return this.coGrouped.apply<OUT>(
      (firsts, seconds, out, window) => {
        for (const a of firsts) for (const b of seconds) out.collect(expectSync(fn(a, b, window), 'join function'));
      },
      { ...options, what: 'join' },
    );
  }

  /** Zero or more outputs per pair: `fn(first, second, out, window)`. */
  flatApply<OUT>(fn: (first: A, second: B, out: Collector<OUT>, window: W) => void, options: OperatorOptions = {}): DataStream<OUT> {
    checkOperatorOptions('join', options);
    rejectAsyncFunction(fn, options.name ?? 'join', 'join function');
    return this.coGrouped.apply<OUT>(
      (firsts, seconds, out, window) => {
        for (const a of firsts) for (const b of seconds) expectSync(fn(a, b, out, window), 'join function');
      },
      { ...options, what: 'join' },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// interval join

/** The keyBy behind a keyed stream: its input stream and its key selector. */
function keyByParts<T, K>(keyed: KeyedStream<T, K>): { input: DataStream<T>; key: (value: T) => K } {
  // The join needs the keyBy's input so that the tagged union is keyed once, instead of crossing an
  // exchange twice (the user's keyBy is then left without readers and gets no exchange).
  const graph = keyed.graph;
  const node = graph.nodes[keyed.nodeId];
  if (node.kind !== 'keyBy') throw new WeirError('WEIR_JOB_DEFINITION', `intervalJoin: expected a keyed stream (the result of keyBy), got the output of ${node.kind} '${node.name}'`);
  return { input: new DataStream<T>(graph, node.input), key: node.key as (value: T) => K };
}

/** `intervalJoin(a.keyBy(ka), b.keyBy(kb))`: pairs (a, b) with equal keys and b.ts ∈ [a.ts + lower, a.ts + upper]. */
export function intervalJoin<A, B, K>(first: KeyedStream<A, K>, second: KeyedStream<B, K>): { between(lowerMs: number, upperMs: number): IntervalJoined<A, B, K> } {
  return { between: (lowerMs, upperMs) => new IntervalJoined(first, second, lowerMs, upperMs) };
}

export class IntervalJoined<A, B, K> {
  private lowerInclusive = true;
  private upperInclusive = true;
  private lateFirstTag: string | undefined;
  private lateSecondTag: string | undefined;

  constructor(
    private readonly first: KeyedStream<A, K>,
    private readonly second: KeyedStream<B, K>,
    private readonly lowerMs: number,
    private readonly upperMs: number,
  ) {
    if (!Number.isFinite(lowerMs) || !Number.isFinite(upperMs) || lowerMs > upperMs) {
      throw new WeirError('WEIR_JOB_DEFINITION', `intervalJoin.between: need finite lowerMs ≤ upperMs, got [${lowerMs}, ${upperMs}]`);
    }
  }

  lowerBoundExclusive(): this {
    this.lowerInclusive = false;
    return this;
  }

  upperBoundExclusive(): this {
    this.upperInclusive = false;
    return this;
  }

  /** Records of the first stream that arrive behind the watermark go to this side output (default 'late-records'). */
  sideOutputLeftLateData(tag: string): this {
    this.lateFirstTag = tag;
    return this;
  }

  /** Records of the second stream that arrive behind the watermark go to this side output (default 'late-records'). */
  sideOutputRightLateData(tag: string): this {
    this.lateSecondTag = tag;
    return this;
  }

  process<OUT>(fn: IntervalJoinFn<A, B, K, OUT>, options: OperatorOptions = {}): DataStream<OUT> {
    checkOperatorOptions('interval join', options);
    rejectAsyncFunction(fn, options.name ?? 'interval-join', 'interval join function');
    const a = keyByParts(this.first);
    const b = keyByParts(this.second);
    const keyed = keyTagged(tagAndUnion(a.input, b.input, 'interval-join'), a.key, b.key, { name: 'interval-join-key' });
    const lowerMs = this.lowerInclusive ? this.lowerMs : this.lowerMs + 1;
    const upperMs = this.upperInclusive ? this.upperMs : this.upperMs - 1;
    if (lowerMs > upperMs) throw new WeirError('WEIR_JOB_DEFINITION', `intervalJoin: the bounds leave an empty interval [${lowerMs}, ${upperMs}]`);
    return keyed.process<OUT>(intervalJoinOperator<A, B, K, OUT>({ lowerMs, upperMs, fn, lateFirstTag: this.lateFirstTag, lateSecondTag: this.lateSecondTag }), {
      name: options.name ?? `interval-join[${lowerMs}, ${upperMs}]`,
      uid: options.uid,
      onError: options.onError,
    });
  }
}
