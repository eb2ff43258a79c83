/**
 * The window operator (Flink's WindowOperator), written as a KeyedProcessFunction: everything it
 * keeps is keyed state of the current key, and everything it waits for is a timer of that key.
 *
 * State per key: one value, 'windows', the key's live windows as an array of WindowSlot: each
 * window's bounds, its contents (an accumulator or the list of records), its trigger's small state
 * and the timers its trigger registered. A record reads it once and writes it once, whatever the
 * assigner: a key has few live windows (one or two tumbling windows, size/slide sliding windows,
 * its sessions), and one entry per key costs less than one per window plus an index of them. For
 * session assigners the array is also the key's MergingWindowSet: its windows are the slots' bounds.
 *
 * The slots read from state are changed in place and the array is put back before the call
 * returns, as an accumulator is (keyed-state.ts): the store sees every change.
 *
 * Timers carry only a timestamp (no window), and a key can have one timer per timestamp, so
 * several windows of a key may share one. When a timer fires the operator looks at the key's
 * windows: each window whose trigger registered that time gets onEventTime/onProcessingTime, and
 * each window whose cleanup time has come is dropped. For the same reason a trigger's
 * deleteEventTimeTimer only forgets the timer for its window and leaves the runtime timer in
 * place: another window of the key may still need it, and a timer nobody wants costs only that
 * look-up when it fires.
 */
import { internalError, WeirError } from '../errors.ts';
import type { KeyedContext, KeyedProcessFunction, OnTimerContext, ValueState } from '../functions/contracts.ts';
import { checkedUpdatesOf, type CheckedUpdater } from '../state/keyed-state.ts';
import { MergingWindowSet } from './merging-window-set.ts';
import { isFire, isPurge, type Trigger } from './triggers.ts';
import { SlotTriggerContext, WindowFiring } from './window-contexts.ts';
import type { ProcessWindowFunction, WindowContents } from './window-functions.ts';
import type { MergesPartials } from './pre-aggregation.ts';
import { isMergingAssigner, mergesTimeWindows, type Window, type WindowAssigner, type WindowMerge } from './windows.ts';

/** Side output that receives records too late for any window, unless `sideOutputLateData(tag)` names another. */
export const LATE_RECORDS_TAG = 'late-records';

export interface WindowOperatorSpec<T, K, W extends Window, C, R, OUT> {
  assigner: WindowAssigner<T, W>;
  trigger: Trigger<T, W>;
  /** How long after a window's end (in event time) records may still update and re-fire it. */
  allowedLatenessMs: number;
  /** Where records too late for every window of theirs go. */
  lateDataTag: string;
  contents: WindowContents<T, C, R>;
  windowFunction: ProcessWindowFunction<R, OUT, K, W>;
}

/** One window of one key, as stored in keyed state (plain data). */
export interface WindowSlot {
  start: number;
  end: number;
  /** Records added since the window was created or last purged; 0 = empty (contents absent). */
  count: number;
  contents?: unknown;
  /** Times the trigger registered for this window and that have not fired yet. */
  eventTimers?: number[];
  processingTimers?: number[];
  /** The trigger's per-window values (TriggerContext.state). */
  triggerState?: Record<string, unknown>;
  /** The cleanup timer is registered. */
  cleanup?: boolean;
  /**
   * For latency measurement: the newest creation time of the window's records (absent when none
   * had one), and when that record reached the operator (processing time). A result is measured
   * from its newest record, as is standard for windowed results.
   */
  newestCreatedMs?: number;
  newestArrivedMs?: number;
}

export const windowsState = 'windows';

export function windowOperator<T, K, W extends Window, C, R, OUT>(spec: WindowOperatorSpec<T, K, W, C, R, OUT>): KeyedProcessFunction<T, K, OUT> {
  return new WindowOperator(spec);
}

class WindowOperator<T, K, W extends Window, C, R, OUT> implements KeyedProcessFunction<T, K, OUT>, MergesPartials<K, OUT> {
  private readonly assigner: WindowAssigner<T, W>;
  private readonly trigger: Trigger<T, W>;
  private readonly contents: WindowContents<T, C, R>;
  private readonly isEventTime: boolean;
  private readonly merging: boolean;
  /** Sessions of TimeWindows (mergeTimeWindows): a record's window that meets at most one session needs no merging set. */
  private readonly timeSessions: boolean;
  private readonly allowedLatenessMs: number;
  private readonly triggerContext = new SlotTriggerContext();
  private readonly firing = new WindowFiring<K, W, OUT>();
  /** The slots the current call changed (changedSlots). */
  private readonly changed: WindowSlot[] = [];
  private keyed!: KeyedContext<K, OUT>;
  private readonly assignerContext = { currentProcessingTime: () => this.keyed.timerService.currentProcessingTime() };
  /** The 'windows' state handle, declared once per context (the keyed operator reuses one context). */
  private windowsOf: KeyedContext<K, OUT> | undefined;
  private windows!: ValueState<WindowSlot[]>;
  // Sessions: made once, not per record. While a record is merged, its key's slots are `mergePool`,
  // indexed by the merging set's state ids (a slot's position; new windows get the next ones), and
  // the merge callback reads the watermark from `mergeWatermarkMs`.
  private readonly mergeWindows: ((windows: W[]) => WindowMerge<W>[]) | undefined;
  private readonly newStateId: () => string;
  private readonly onMerge: (merged: W, mergedWindows: W[], stateId: string, mergedStateIds: string[]) => void;
  private mergePool: Array<WindowSlot | undefined> = [];
  // The clock reading for the last creation time seen: records of one source batch share their
  // creation time and arrive together, so the clock is read once per batch, not once per record.
  private arrivalCreatedMs = Number.NaN;
  private arrivalMs = Number.NaN;
  private mergeWatermarkMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly spec: WindowOperatorSpec<T, K, W, C, R, OUT>) {
    this.assigner = spec.assigner;
    this.trigger = spec.trigger;
    this.contents = spec.contents;
    this.isEventTime = spec.assigner.isEventTime;
    this.merging = isMergingAssigner(spec.assigner);
    this.timeSessions = this.merging && mergesTimeWindows(spec.assigner);
    this.allowedLatenessMs = spec.allowedLatenessMs;
    if (!(spec.allowedLatenessMs >= 0)) throw new WeirError('WEIR_JOB_DEFINITION', `allowedLateness must be ≥ 0 ms, not ${spec.allowedLatenessMs}`);
    if (this.merging && typeof spec.trigger.onMerge !== 'function') {
      throw new WeirError('WEIR_JOB_DEFINITION', `${spec.assigner.description} merges windows: its trigger needs onMerge`);
    }
    this.mergeWindows = this.merging ? (windows) => this.assigner.mergeWindows!(windows) : undefined;
    this.newStateId = () => String(this.mergePool.push(undefined) - 1);
    this.onMerge = (merged, mergedWindows, stateId, mergedStateIds) => this.mergeSlots(merged, mergedWindows, stateId, mergedStateIds, this.mergeWatermarkMs);
  }

  private windowsState(ctx: KeyedContext<K, OUT>): ValueState<WindowSlot[]> {
    if (this.windowsOf !== ctx) {
      this.windows = ctx.valueState<WindowSlot[]>(windowsState);
      this.windowsOf = ctx;
    }
    return this.windows;
  }

  processElement(value: T, ctx: KeyedContext<K, OUT>): void {
    this.keyed = ctx;
    let timestampMs = ctx.timestampMs;
    if (this.isEventTime) {
      if (!Number.isFinite(timestampMs)) {
        throw new WeirError('WEIR_JOB_DEFINITION', `${this.assigner.description}: a record has no event timestamp (${timestampMs}); give its source timestamps (a watermark strategy with a timestamp assigner)`);
      }
    } else {
      timestampMs = ctx.timerService.currentProcessingTime();
    }
    const watermarkMs = ctx.timerService.currentWatermark();
    const assigned = this.assigner.assignWindows(value, timestampMs, this.assignerContext);
    const state = this.windowsState(ctx);
    const tooLate = this.merging ? this.addToSessions(assigned, value, timestampMs, watermarkMs, state) : this.addToWindows(assigned, value, timestampMs, watermarkMs, state);

    // Too late for all of its windows (event time only): never dropped silently. Nobody reading the
    // tag sends it on to the job's dead letters.
    if (tooLate && assigned.length > 0) ctx.output(this.spec.lateDataTag, value);
  }

  /** Non-merging assigners: each assigned window's slot, found by its bounds or created. Returns whether every window was late. */
  private addToWindows(assigned: W[], value: T, timestampMs: number, watermarkMs: number, state: ValueState<WindowSlot[]>): boolean {
    let slots: WindowSlot[] | undefined;
    const added = this.changedSlots();
    for (const window of assigned) {
      if (this.isWindowLate(window, watermarkMs)) continue;
      if (slots === undefined) {
        this.checkAppended(state, value);
        slots = state.value() ?? [];
      }
      let slot = findSlot(slots, window);
      if (slot === undefined) slots.push((slot = { start: window.start, end: window.end, count: 0 }));
      this.addToWindow(window, value, timestampMs, slot);
      added.push(slot);
    }
    if (slots === undefined) return true;
    this.store(state, slots, added);
    return false;
  }

  /**
   * Merging assigners: the key's slots become a MergingWindowSet for the record (a slot's position
   * is its state id), each assigned window is added to it, merging as it must, and the surviving
   * slots are stored again in their order. Returns whether every window was late.
   */
  private addToSessions(assigned: W[], value: T, timestampMs: number, watermarkMs: number, state: ValueState<WindowSlot[]>): boolean {
    this.checkAppended(state, value); // before merging changes any slot
    const stored = state.value() ?? [];
    if (this.timeSessions && assigned.length === 1) {
      const tooLate = this.addToOneSession(assigned[0], value, timestampMs, watermarkMs, stored);
      if (tooLate !== undefined) {
        if (!tooLate) this.store(state, stored);
        return tooLate;
      }
    }
    const pool: Array<WindowSlot | undefined> = stored.slice();
    const entries = pool.map((slot, i) => ({ window: this.assigner.windowOf(slot!.start, slot!.end), stateId: String(i) }));
    const set = new MergingWindowSet<W>(this.mergeWindows!, this.newStateId, entries);
    this.mergePool = pool;
    this.mergeWatermarkMs = watermarkMs;
    let tooLate = true;
    for (const window of assigned) {
      const actual = set.addWindow(window, this.onMerge);
      // A window that did not merge into a live session and is already past cleanup is dropped.
      if (this.isWindowLate(actual, watermarkMs)) {
        set.retireWindow(actual);
        continue;
      }
      tooLate = false;
      const at = Number(set.stateIdOf(actual));
      const slot = (pool[at] ??= { start: actual.start, end: actual.end, count: 0 });
      this.addToWindow(actual, value, timestampMs, slot);
    }
    this.mergePool = [];
    // Every window late: nothing merged (a merge that would end before the watermark throws).
    if (tooLate) return true;
    this.store(state, pool.filter((slot) => slot !== undefined));
    return false;
  }

  /**
   * The common case of sessions of TimeWindows, without a merging set: the record's window meets
   * (overlaps or touches) no session of the key — a new session, added last — or one, which it
   * falls inside or extends. What MergingWindowSet.addWindow and the loop above would do, slot for
   * slot: the same merge callback when the session grows, nothing when it does not. Returns
   * whether the window was too late (`stored` unchanged then), or undefined when the window meets
   * two or more sessions (it bridges them: the merging set decides).
   */
  private addToOneSession(window: W, value: T, timestampMs: number, watermarkMs: number, stored: WindowSlot[]): boolean | undefined {
    let met = -1;
    for (let i = 0; i < stored.length; i++) {
      const slot = stored[i];
      if (slot.start <= window.end && slot.end >= window.start) {
        if (met >= 0) return undefined;
        met = i;
      }
    }
    if (met < 0) {
      if (this.isWindowLate(window, watermarkMs)) return true;
      const slot: WindowSlot = { start: window.start, end: window.end, count: 0 };
      stored.push(slot);
      this.addToWindow(window, value, timestampMs, slot);
      return false;
    }
    const slot = stored[met];
    const session = this.assigner.windowOf(slot.start, slot.end);
    let actual = session;
    if (window.start < slot.start || window.end > slot.end) {
      actual = this.assigner.windowOf(Math.min(slot.start, window.start), Math.max(slot.end, window.end));
      this.mergePool = stored;
      try {
        this.mergeSlots(actual, [session], String(met), [String(met)], watermarkMs);
      } finally {
        this.mergePool = [];
      }
    } else if (this.isWindowLate(actual, watermarkMs)) {
      return true;
    }
    this.addToWindow(actual, value, timestampMs, slot);
    return false;
  }

  onTimer(timeMs: number, ctx: OnTimerContext<K, OUT>): void {
    this.keyed = ctx;
    const eventTime = ctx.timeDomain === 'event-time';
    const state = this.windowsState(ctx);
    const slots = state.value();
    if (slots === undefined) return;
    // The slots whose trigger ran: what this call may have changed.
    const triggered = this.changedSlots();
    // The slots that stay, made only once one goes.
    let remaining: WindowSlot[] | undefined;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      const window = this.assigner.windowOf(slot.start, slot.end);
      const registered = eventTime ? slot.eventTimers : slot.processingTimers;
      const at = registered === undefined ? -1 : registered.indexOf(timeMs);
      if (at >= 0) {
        registered!.splice(at, 1);
        triggered.push(slot);
        const tctx = this.triggerContext.bind(ctx, slot);
        const result = eventTime ? this.trigger.onEventTime?.(timeMs, window, tctx) : this.trigger.onProcessingTime?.(timeMs, window, tctx);
        if (result !== undefined && isFire(result)) this.emitWindow(window, slot);
        if (result !== undefined && isPurge(result)) purge(slot);
      }
      if (this.isCleanupTime(window, timeMs, eventTime)) {
        // Past maxTimestamp + allowedLateness nothing can reach the window any more: drop it.
        this.trigger.clear?.(window, this.triggerContext.bind(ctx, slot));
        remaining ??= slots.slice(0, i);
      } else if (remaining !== undefined) {
        remaining.push(slot);
      }
    }
    if (remaining === undefined) {
      if (triggered.length > 0) this.store(state, slots, triggered);
    } else if (remaining.length === 0) {
      state.clear();
    } else {
      this.store(state, remaining, triggered);
    }
  }

  /**
   * A partial aggregate of `records` records of the current key, all in one pane (see
   * pre-aggregation.ts), merged into each window of the pane. The sending side folded only records
   * none of whose windows could have fired here: no window of it is late, the trigger only registers.
   */
  processPartial(accumulator: unknown, records: number, ctx: KeyedContext<K, OUT>): void {
    this.keyed = ctx;
    const timestampMs = ctx.timestampMs;
    const watermarkMs = ctx.timerService.currentWatermark();
    const state = this.windowsState(ctx);
    const slots = state.value() ?? [];
    const merged = this.changedSlots();
    for (const window of this.assigner.assignWindows(undefined as T, timestampMs, this.assignerContext)) {
      if (!(window.maxTimestamp() > watermarkMs)) throw internalError(`${this.assigner.description}: a partial aggregate for window [${window.start}, ${window.end}) arrived after watermark ${watermarkMs}`);
      let slot = findSlot(slots, window);
      if (slot === undefined) slots.push((slot = { start: window.start, end: window.end, count: 0 }));
      slot.contents = this.contents.mergeInto!(slot.count > 0 ? (slot.contents as C) : undefined, accumulator as C);
      // The assigner's own trigger (the only one pre-aggregation allows) does not read the element.
      this.added(window, undefined as T, timestampMs, slot, records);
      merged.push(slot);
    }
    this.store(state, slots, merged);
  }

  /**
   * Stores the key's slots, checking only what users made: a slot's own fields are numbers and
   * arrays of numbers, and a list's records were checked before they went in (checkAppended).
   * Aggregates and trigger state are checked whole, a user's function may change them in place:
   * those of the slots `changed` (the ones this call gave to user functions), every slot's when it
   * is not given. The other slots were checked when they last changed. Checking them all at every
   * record cost a key with many open windows (a windowAll shard, whose one key holds every window
   * of its worker) O(open windows × accumulator) a record.
   */
  private store(state: ValueState<WindowSlot[]>, slots: WindowSlot[], changed?: readonly WindowSlot[]): void {
    const checked = checkedUpdatesOf(state);
    if (checked === undefined) return state.update(slots);
    if (changed === undefined) {
      for (let i = 0; i < slots.length; i++) this.checkSlot(checked, slots[i], i);
    } else {
      for (const slot of changed) {
        const at = slots.indexOf(slot);
        if (at >= 0) this.checkSlot(checked, slot, at); // else dropped: a window cleaned up at this timer
      }
    }
    checked.update(slots);
  }

  /** An empty list of the slots a call changes, one reused by every call (none runs inside another). */
  private changedSlots(): WindowSlot[] {
    this.changed.length = 0;
    return this.changed;
  }

  /** What store checks of one slot, at position `at`. */
  private checkSlot(checked: CheckedUpdater<WindowSlot[]>, slot: WindowSlot, at: number): void {
    if (slot.contents !== undefined && this.contents.appends !== true) checked.check(slot.contents, `[${at}].contents`);
    if (slot.triggerState !== undefined) checked.check(slot.triggerState, `[${at}].triggerState`);
  }

  /** A record that list contents will append: checked before anything changes (store does not walk lists). */
  private checkAppended(state: ValueState<WindowSlot[]>, value: T): void {
    if (this.contents.appends === true) checkedUpdatesOf(state)?.check(value, '');
  }

  private addToWindow(window: W, value: T, timestampMs: number, slot: WindowSlot): void {
    slot.contents = this.contents.add(slot.count > 0 ? (slot.contents as C) : undefined, value);
    this.added(window, value, timestampMs, slot, 1);
  }

  /** After `records` records went into the window's contents: latency bookkeeping, the trigger, the cleanup timer. */
  private added(window: W, value: T, timestampMs: number, slot: WindowSlot, records: number): void {
    slot.count += records;
    // False for NaN (no creation time): only records that have one count.
    const createdMs = this.keyed.createdMs;
    if (createdMs > (slot.newestCreatedMs ?? Number.NEGATIVE_INFINITY)) {
      slot.newestCreatedMs = createdMs;
      slot.newestArrivedMs = this.arrivalOf(createdMs);
    }
    const result = this.trigger.onElement(value, timestampMs, window, this.triggerContext.bind(this.keyed, slot));
    if (isFire(result)) this.emitWindow(window, slot);
    if (isPurge(result)) purge(slot);
    this.registerCleanupTimer(window, slot);
  }

  /**
   * Sessions merge. The merged window keeps the slot (state id) of one of the windows it replaces,
   * so a record that extends its session changes that slot instead of moving the contents; the
   * other merged windows' contents are folded in with the contents' merge and their slots go.
   * Trigger state and timers belong to a window, not to a slot: the merged windows' triggers are
   * cleared, and `onMerge` builds the merged window's from their states (`mergedStates`). Timers
   * of the replaced windows stay registered in the runtime and find no window when they fire.
   */
  private mergeSlots(merged: W, mergedWindows: W[], stateId: string, mergedStateIds: string[], watermarkMs: number): void {
    if (this.isEventTime && this.cleanupTime(merged) <= watermarkMs) {
      throw new WeirError('WEIR_USER_FUNCTION', `${this.assigner.description}: merging made window [${merged.start}, ${merged.end}) end before the watermark (${watermarkMs})`);
    }
    const pool = this.mergePool;
    const target: WindowSlot = (pool[Number(stateId)] ??= { start: merged.start, end: merged.end, count: 0 });
    const mergedStates: Array<Record<string, unknown>> = [];
    for (let i = 0; i < mergedWindows.length; i++) {
      const id = mergedStateIds[i];
      const slot = id === stateId ? target : pool[Number(id)];
      if (slot === undefined) continue;
      if (slot.triggerState !== undefined) mergedStates.push({ ...slot.triggerState });
      this.trigger.clear?.(mergedWindows[i], this.triggerContext.bind(this.keyed, slot));
      if (id === stateId) continue;
      if (slot.count > 0) {
        target.contents = target.count > 0 ? this.contents.merge(target.contents as C, slot.contents as C) : slot.contents;
        target.count += slot.count;
        if (slot.newestCreatedMs !== undefined && !(slot.newestCreatedMs <= target.newestCreatedMs!)) {
          target.newestCreatedMs = slot.newestCreatedMs;
          target.newestArrivedMs = slot.newestArrivedMs;
        }
      }
      pool[Number(id)] = undefined;
    }
    // The slot now holds a new, longer window: its own timers (onMerge registers them) and cleanup.
    target.start = merged.start;
    target.end = merged.end;
    delete target.eventTimers;
    delete target.processingTimers;
    delete target.triggerState;
    delete target.cleanup;
    this.trigger.onMerge!(merged, this.triggerContext.bind(this.keyed, target, mergedStates));
  }

  private emitWindow(window: W, slot: WindowSlot): void {
    if (slot.count === 0) return;
    const ctx = this.keyed;
    const maxTimestampMs = window.maxTimestamp();
    // Results carry the window's last instant as event time (Flink); the global window has none, so
    // its results keep the time of the record or timer that fired it. They are measured from the
    // newest record in the window (NaN: none had a creation time).
    const emitAtMs = Number.isFinite(maxTimestampMs) ? maxTimestampMs : ctx.timestampMs;
    const firing = this.firing.bind(ctx, window, emitAtMs, slot.newestCreatedMs ?? Number.NaN, slot.newestArrivedMs ?? Number.NaN);
    this.spec.windowFunction.process(ctx.key, firing, this.contents.elements(slot.contents as C), firing);
  }

  /** When the records created at `createdMs` reached the operator (the first of them, to within a batch). */
  private arrivalOf(createdMs: number): number {
    if (createdMs !== this.arrivalCreatedMs) {
      this.arrivalCreatedMs = createdMs;
      this.arrivalMs = this.keyed.timerService.currentProcessingTime();
    }
    return this.arrivalMs;
  }

  /** Event time: the window's end plus the allowed lateness. Processing time: its end. */
  private cleanupTime(window: W): number {
    return this.isEventTime ? window.maxTimestamp() + this.allowedLatenessMs : window.maxTimestamp();
  }

  private isWindowLate(window: W, watermarkMs: number): boolean {
    return this.isEventTime && this.cleanupTime(window) <= watermarkMs;
  }

  private isCleanupTime(window: W, timeMs: number, eventTime: boolean): boolean {
    return eventTime === this.isEventTime && timeMs >= this.cleanupTime(window);
  }

  /** One timer per window at its cleanup time, so that state never outlives the window (the global window has none). */
  private registerCleanupTimer(window: W, slot: WindowSlot): void {
    if (slot.cleanup) return;
    const cleanupMs = this.cleanupTime(window);
    if (!Number.isFinite(cleanupMs)) return;
    // With no allowed lateness the trigger's end timer is usually the cleanup timer too: when the
    // trigger registered it for this window the runtime has it, and registering it again is waste.
    const registered = this.isEventTime ? slot.eventTimers : slot.processingTimers;
    if (registered === undefined || !registered.includes(cleanupMs)) {
      if (this.isEventTime) this.keyed.timerService.registerEventTimeTimer(cleanupMs);
      else this.keyed.timerService.registerProcessingTimeTimer(cleanupMs);
    }
    slot.cleanup = true;
  }
}

function findSlot(slots: WindowSlot[], window: Window): WindowSlot | undefined {
  for (const slot of slots) if (slot.start === window.start && slot.end === window.end) return slot;
  return undefined;
}

function purge(slot: WindowSlot): void {
  slot.count = 0;
  delete slot.contents;
  delete slot.newestCreatedMs;
  delete slot.newestArrivedMs;
}
