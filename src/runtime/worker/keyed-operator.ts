import type { KeyedProcessFunction, OnTimerContext, OperatorInfo, TimeDomain } from '../../functions/contracts.ts';
import type { LogicalNode } from '../../api/graph.ts';
import { timerFunctionError, userFunctionError, WeirError } from '../../errors.ts';
import { attachHeldState, heldStateHost, type AttachesHeldState, type HeldStateHost } from '../../state/held-state.ts';
import { KeyedState } from '../../state/keyed-state.ts';
import type { StateStore } from '../../state/store.ts';
import { Timers } from '../../state/timers.ts';
import type { DeadLetterPosition, Deliver, RecordPosition } from './chain.ts';
import { keyGroupOf, type KeyGroupAssigner } from '../keys.ts';
import { operatorUid } from '../plan.ts';
import type { MergesPartials } from '../../time/pre-aggregation.ts';
import type { PartialAggregate } from './pre-aggregator.ts';
import { asyncResultError, isThenable, PromiseReturned, promiseReturned } from '../../functions/sync.ts';

export interface KeyedOperatorHooks {
  /** How keys map to key groups (runtime/keys.ts); default 'hash'. */
  keyGroupAssigner?: KeyGroupAssigner;
  /** The operator's main output (its consumers in the chain). */
  emit: Deliver;
  /** Side output `tag` (dead letters when nobody reads it). */
  output(tag: string, value: unknown, timestampMs: number, createdMs: number): void;
  /** ctx.deadLetter: user code sends a record to the dead letters (from onTimer: at the timer's position). */
  deadLetter(value: unknown, reason: string, at?: DeadLetterPosition): void;
  /** The function failed on a record (or a timer, at `at`): dead-letter it or throw, as the error policy says. */
  reject(err: WeirError, value: unknown, at?: DeadLetterPosition): void;
  nowMs(): number;
  /** Counts a record out (metrics). */
  countOut(): void;
  /**
   * Latency measurement (present under the harness): onTimer emitted a record created at
   * `createdMs` (NaN: none) whose newest input reached the operator at `arrivedMs` (NaN: unknown).
   */
  atTimerEmit?(arrivedMs: number, createdMs: number): void;
}

/**
 * One keyed process function on one worker (Flink's KeyedProcessOperator): sets the current key
 * before each record and each timer, gives the function its key-scoped state and timers, and fires
 * event-time timers when the watermark passes them and processing-time timers when the clock does.
 *
 * The context object is one mutable object reused for every call (no allocation per record).
 * Records emitted from onTimer carry the timer's time as event time and no creation time unless
 * the function gives one (they were not caused by one input record; a window result is measured
 * from its newest element, which the window operator passes).
 */
export class KeyedOperator {
  private readonly state: KeyedState;
  private readonly timers: Timers;
  private readonly store: StateStore;
  private watermarkMs = Number.NEGATIVE_INFINITY;
  private keyGroup = 0;
  /** onTimer is running: what it emits starts a new latency segment. */
  private firing = false;
  private readonly ctx: OnTimerContext<unknown, unknown> & { key: unknown; timestampMs: number; createdMs: number; timeDomain: TimeDomain; [heldStateHost]: HeldStateHost };
  /** What the function holds in memory between flushes (held-state.ts): written by these. */
  private readonly heldWriters: Array<() => void> = [];
  /** Told of every watermark advance before event-time timers fire (held-state.ts). */
  private readonly watermarkListeners: Array<(watermarkMs: number) => void> = [];

  constructor(
    private readonly node: LogicalNode & { kind: 'process' },
    private readonly keyOf: (value: unknown) => unknown,
    private readonly fn: KeyedProcessFunction<unknown, unknown, unknown>,
    store: StateStore,
    private readonly keyGroups: number,
    private readonly position: RecordPosition,
    private readonly hooks: KeyedOperatorHooks,
  ) {
    const uid = operatorUid(node);
    this.state = new KeyedState(store, uid, node.name, hooks.nowMs);
    this.timers = new Timers(store, uid, node.name);
    this.store = store;
    const self = this;
    const state = this.state;
    const timers = this.timers;
    this.ctx = {
      key: undefined,
      timestampMs: NaN,
      createdMs: NaN,
      timeDomain: 'event-time',
      emit(value, timestampMs, createdMs, arrivedMs) {
        hooks.countOut();
        const created = createdMs === undefined ? self.ctx.createdMs : createdMs;
        if (self.firing && hooks.atTimerEmit !== undefined) hooks.atTimerEmit(arrivedMs === undefined ? NaN : arrivedMs, created);
        hooks.emit(value, timestampMs === undefined ? self.ctx.timestampMs : timestampMs, created);
      },
      output(tag, value) {
        hooks.output(tag, value, self.ctx.timestampMs, self.ctx.createdMs);
      },
      deadLetter(value, reason) {
        // From onTimer the dead letter is the timer's (ctx holds its domain and time while it fires).
        hooks.deadLetter(value, reason, self.firing ? { partition: -1, offset: `${self.ctx.timeDomain} timer ${self.ctx.timestampMs}` } : undefined);
      },
      valueState: (name, options) => state.valueState(name, options),
      listState: (name, options) => state.listState(name, options),
      mapState: (name, options) => state.mapState(name, options),
      reducingState: (name, reduce, options) => state.reducingState(name, reduce, options),
      aggregatingState: (name, aggregate, options) => state.aggregatingState(name, aggregate, options),
      timerService: {
        currentWatermark: () => self.watermarkMs,
        currentProcessingTime: () => hooks.nowMs(),
        registerEventTimeTimer: (t) => timers.register('event-time', self.keyGroup, self.ctx.key, checkTime(t, self.node.name)),
        registerProcessingTimeTimer: (t) => timers.register('processing-time', self.keyGroup, self.ctx.key, checkTime(t, self.node.name)),
        deleteEventTimeTimer: (t) => timers.delete('event-time', self.keyGroup, self.ctx.key, t),
        deleteProcessingTimeTimer: (t) => timers.delete('processing-time', self.keyGroup, self.ctx.key, t),
      },
      [heldStateHost]: {
        onWrite: (write) => void self.heldWriters.push(write),
        currentKeyGroup: () => self.keyGroup,
        checkStorable: (name, value) => state.checkStorable(name, value),
        withKey: (key, keyGroup, fn) => state.withKey(key, keyGroup, fn),
        onWatermark: (advance) => void self.watermarkListeners.push(advance),
        fireEventTime: (key, keyGroup, timestampMs) => {
          if (self.fn.onTimer !== undefined) self.fireTimer('event-time', self.fn.onTimer, timestampMs, keyGroup, key);
        },
        *entries(name) {
          for (const entry of store.entries(`${uid}/${name}`)) if (entry.namespace === '') yield entry;
        },
        keyOf: (record) => {
          const key = keyOf(record);
          return { key, keyGroup: keyGroupOf(key, keyGroups, hooks.keyGroupAssigner) };
        },
      },
    };
    store.onFlush(() => this.writeHeldState());
    (fn as Partial<AttachesHeldState>)[attachHeldState]?.(this.ctx);
  }

  /** Puts what the function holds in memory into its keyed state (before a flush, a scan, a state query). */
  writeHeldState(): void {
    for (const write of this.heldWriters) {
      try {
        write();
      } catch (e) {
        throw e instanceof WeirError ? e : new WeirError('WEIR_STATE', `operator "${this.node.name}": cannot write its held state: ${(e as Error)?.message ?? String(e)}`, { operator: this.node.name, cause: e });
      }
    }
  }

  /** The operator's stable id (its state's prefix in the store). */
  get uid(): string {
    return operatorUid(this.node);
  }

  /** Its keyed state, for state queries between records (state-queries.ts). */
  get keyedState(): KeyedState {
    return this.state;
  }

  open(info: OperatorInfo): void {
    this.fn.open?.(info);
  }

  close(): void {
    this.fn.close?.();
  }

  processElement(value: unknown, timestampMs: number, createdMs: number): void {
    try {
      const key = this.keyOf(value);
      this.setKey(key);
      this.ctx.timestampMs = timestampMs;
      this.ctx.createdMs = createdMs;
      const result = this.fn.processElement(value, this.ctx) as unknown;
      if (result !== undefined && isThenable(result)) throw promiseReturned(result, 'process function');
    } catch (e) {
      this.hooks.reject(this.fail(e), value);
    }
  }

  /** A partial aggregate of records of one key (pre-aggregator.ts), for a window operator. */
  processPartial(partial: PartialAggregate, timestampMs: number, createdMs: number): void {
    try {
      this.setKey(partial.k);
      this.ctx.timestampMs = timestampMs;
      this.ctx.createdMs = createdMs;
      (this.fn as unknown as MergesPartials<unknown, unknown>).processPartial(partial.a, partial.n, this.ctx);
    } catch (e) {
      this.hooks.reject(this.fail(e), partial);
    }
  }

  /** The watermark advanced to `watermarkMs`: fire every event-time timer at or before it, in order. */
  onWatermark(watermarkMs: number): void {
    if (watermarkMs <= this.watermarkMs) return;
    this.watermarkMs = watermarkMs;
    for (const advance of this.watermarkListeners) advance(watermarkMs);
    this.fire('event-time', watermarkMs);
  }

  /**
   * The wall clock reads `nowMs`: fire every processing-time timer whose millisecond has wholly
   * passed. A timer at T fires only once the clock reads T + 1 or later, as Flink's does: a record
   * processed later in millisecond T still reads the clock as T, so it must find the window that
   * ends at T still open rather than open a second window with the same bounds after it fired.
   */
  onProcessingTime(nowMs: number): void {
    if (this.timers.nextTimestamp('processing-time') < nowMs) this.fire('processing-time', nowMs - 1);
  }

  /** When the next processing-time timer is due (+Infinity when none): the worker parks no longer than that. */
  nextProcessingTimeMs(): number {
    return this.timers.nextTimestamp('processing-time') + 1;
  }

  /** Entries of every state this operator has declared, over all keys (tests, benchmarks: it scans). */
  stateEntryCount(): number {
    this.writeHeldState();
    let n = 0;
    for (const id of this.state.declaredStateIds()) for (const _ of this.store.entries(id)) n++;
    return n;
  }

  /** The key of the record or timer being processed. */
  currentKey(): unknown {
    return this.ctx.key;
  }

  /** Timers waiting in `domain` (metrics, tests). */
  timerCount(domain: TimeDomain): number {
    return this.timers.size(domain);
  }

  /** Background TTL cleanup, a bounded step at a time. */
  cleanupExpired(entriesMax: number): number {
    return this.state.cleanupExpired(entriesMax);
  }

  private fire(domain: TimeDomain, upToMs: number): void {
    const onTimer = this.fn.onTimer;
    if (onTimer === undefined) return;
    this.timers.advance(domain, upToMs, (timestampMs, keyGroup, key) => this.fireTimer(domain, onTimer, timestampMs, keyGroup, key));
  }

  /** Calls onTimer for `key` at `timestampMs`: a timer that fired, or a due key of a function's own queue. */
  private fireTimer(domain: TimeDomain, onTimer: NonNullable<KeyedProcessFunction<unknown, unknown, unknown>['onTimer']>, timestampMs: number, keyGroup: number, key: unknown): void {
    const ctx = this.ctx;
    try {
      this.state.setCurrentKey(key, keyGroup);
      this.keyGroup = keyGroup;
      ctx.key = key;
      ctx.timestampMs = timestampMs;
      ctx.timeDomain = domain;
      ctx.createdMs = NaN;
      this.firing = true;
      const result = onTimer.call(this.fn, timestampMs, ctx) as unknown;
      this.firing = false;
      if (result !== undefined && isThenable(result)) throw promiseReturned(result, 'onTimer function');
    } catch (e) {
      this.firing = false;
      if (e instanceof PromiseReturned) throw asyncResultError(e.role, this.node.name, undefined, `${domain} timer ${timestampMs}`);
      const err = e instanceof WeirError ? e : timerFunctionError(e, this.node.name, timestampMs, domain, key);
      this.hooks.reject(err, { key, timestampMs, timeDomain: domain }, { partition: -1, offset: `${domain} timer ${timestampMs}` });
    }
  }

  private setKey(key: unknown): void {
    const keyGroup = keyGroupOf(key, this.keyGroups, this.hooks.keyGroupAssigner);
    this.state.setCurrentKey(key, keyGroup);
    this.keyGroup = keyGroup;
    this.ctx.key = key;
    this.ctx.timeDomain = 'event-time';
  }

  private fail(cause: unknown): WeirError {
    if (cause instanceof WeirError) return cause;
    if (cause instanceof PromiseReturned) return asyncResultError(cause.role, this.node.name, this.position.partition, this.position.offset);
    return userFunctionError(cause, this.node.name, this.position.partition, this.position.offset);
  }
}

function checkTime(timestampMs: number, operator: string): number {
  if (typeof timestampMs !== 'number' || Number.isNaN(timestampMs)) {
    throw new WeirError('WEIR_USER_FUNCTION', `operator "${operator}" registered a timer at ${String(timestampMs)}: a timer needs a number`, { operator });
  }
  return timestampMs;
}
