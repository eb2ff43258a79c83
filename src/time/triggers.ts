/**
 * Triggers decide when a window's contents are evaluated (FIRE) and when they are dropped (PURGE),
 * with Flink's semantics (EventTimeTrigger, ProcessingTimeTrigger, CountTrigger, PurgingTrigger).
 *
 * A trigger is called for one window at a time, through a TriggerContext bound to that window:
 * timers it registers belong to the window (a timer fires `onEventTime`/`onProcessingTime` of
 * every window that registered it), and `ctx.state(name)` is a small value kept per window (a
 * count, a flag), dropped with the window.
 */
import { WeirError } from '../errors.ts';
import type { TimerService } from '../functions/contracts.ts';
import type { Window } from './windows.ts';

export type TriggerResult = 'CONTINUE' | 'FIRE' | 'PURGE' | 'FIRE_AND_PURGE';

export const TriggerResult = {
  CONTINUE: 'CONTINUE',
  FIRE: 'FIRE',
  PURGE: 'PURGE',
  FIRE_AND_PURGE: 'FIRE_AND_PURGE',
} as const satisfies Record<TriggerResult, TriggerResult>;

export const isFire = (result: TriggerResult): boolean => result === 'FIRE' || result === 'FIRE_AND_PURGE';
export const isPurge = (result: TriggerResult): boolean => result === 'PURGE' || result === 'FIRE_AND_PURGE';

/** A value kept per window for its trigger (plain data: it is stored in keyed state). */
export interface TriggerState<S> {
  value(): S | undefined;
  update(value: S): void;
  clear(): void;
}

/** The operator's timers (for the current key and window) plus a small state per window. */
export interface TriggerContext extends TimerService {
  /** A value of this trigger for the current window. */
  state<S>(name: string): TriggerState<S>;
}

export interface OnMergeContext extends TriggerContext {
  /** The values of state `name` in the windows being merged into the current one (those that had one). */
  mergedStates<S>(name: string): S[];
}

/** A user trigger (Flink's Trigger). `onEventTime`/`onProcessingTime` default to CONTINUE. */
export interface Trigger<T, W extends Window = Window> {
  onElement(element: T, timestampMs: number, window: W, ctx: TriggerContext): TriggerResult;
  onEventTime?(timeMs: number, window: W, ctx: TriggerContext): TriggerResult;
  onProcessingTime?(timeMs: number, window: W, ctx: TriggerContext): TriggerResult;
  /** Merging (session) windows need it: combine the merged windows' trigger state and re-register timers for `window`. */
  onMerge?(window: W, ctx: OnMergeContext): void;
  /** The window is being dropped: delete its timers and state. */
  clear?(window: W, ctx: TriggerContext): void;
}

/**
 * Fires once the watermark passes the window's end (window.maxTimestamp). A record that arrives
 * for a window the watermark has already passed — late, but within the allowed lateness — fires
 * the window again at once, with the updated contents. The default trigger of event-time assigners.
 */
export class EventTimeTrigger<T = unknown> implements Trigger<T, Window> {
  static create<T = unknown>(): EventTimeTrigger<T> {
    return new EventTimeTrigger<T>();
  }

  onElement(_element: T, _timestampMs: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (window.maxTimestamp() <= ctx.currentWatermark()) return 'FIRE';
    ctx.registerEventTimeTimer(window.maxTimestamp());
    return 'CONTINUE';
  }

  onEventTime(timeMs: number, window: Window): TriggerResult {
    return timeMs === window.maxTimestamp() ? 'FIRE' : 'CONTINUE';
  }

  onProcessingTime(): TriggerResult {
    return 'CONTINUE';
  }

  onMerge(window: Window, ctx: OnMergeContext): void {
    // The merged window ends later than its parts: its own end timer, unless the watermark is past it.
    if (window.maxTimestamp() > ctx.currentWatermark()) ctx.registerEventTimeTimer(window.maxTimestamp());
  }

  clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(window.maxTimestamp());
  }
}

/** Fires when the wall clock passes the window's end. The default trigger of processing-time assigners. */
export class ProcessingTimeTrigger<T = unknown> implements Trigger<T, Window> {
  static create<T = unknown>(): ProcessingTimeTrigger<T> {
    return new ProcessingTimeTrigger<T>();
  }

  onElement(_element: T, _timestampMs: number, window: Window, ctx: TriggerContext): TriggerResult {
    ctx.registerProcessingTimeTimer(window.maxTimestamp());
    return 'CONTINUE';
  }

  onEventTime(): TriggerResult {
    return 'CONTINUE';
  }

  onProcessingTime(): TriggerResult {
    return 'FIRE';
  }

  onMerge(window: Window, ctx: OnMergeContext): void {
    if (window.maxTimestamp() > ctx.currentProcessingTime()) ctx.registerProcessingTimeTimer(window.maxTimestamp());
  }

  clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteProcessingTimeTimer(window.maxTimestamp());
  }
}

/**
 * Fires every `count` records of a window (Flink's CountTrigger: FIRE, contents kept). For
 * non-overlapping batches of n, wrap it: `PurgingTrigger.of(CountTrigger.of(n))`.
 */
export class CountTrigger<T = unknown> implements Trigger<T, Window> {
  private static readonly stateName = 'count';

  static of<T = unknown>(count: number): CountTrigger<T> {
    return new CountTrigger<T>(count);
  }

  private constructor(readonly count: number) {
    if (!Number.isSafeInteger(count) || count < 1) throw new WeirError('WEIR_JOB_DEFINITION', `CountTrigger.of: count must be an integer ≥ 1, not ${count}`);
  }

  onElement(_element: T, _timestampMs: number, _window: Window, ctx: TriggerContext): TriggerResult {
    const state = ctx.state<number>(CountTrigger.stateName);
    const seen = (state.value() ?? 0) + 1;
    if (seen >= this.count) {
      state.clear();
      return 'FIRE';
    }
    state.update(seen);
    return 'CONTINUE';
  }

  onMerge(_window: Window, ctx: OnMergeContext): void {
    const total = ctx.mergedStates<number>(CountTrigger.stateName).reduce((a, b) => a + b, 0);
    if (total > 0) ctx.state<number>(CountTrigger.stateName).update(total);
  }

  clear(_window: Window, ctx: TriggerContext): void {
    ctx.state<number>(CountTrigger.stateName).clear();
  }
}

/** Turns every FIRE of the wrapped trigger into FIRE_AND_PURGE (Flink's PurgingTrigger). */
export class PurgingTrigger<T, W extends Window> implements Trigger<T, W> {
  static of<T, W extends Window>(nested: Trigger<T, W>): PurgingTrigger<T, W> {
    return new PurgingTrigger(nested);
  }

  readonly onMerge?: (window: W, ctx: OnMergeContext) => void;

  private constructor(readonly nested: Trigger<T, W>) {
    if (nested.onMerge) this.onMerge = (window, ctx) => nested.onMerge!(window, ctx);
  }

  onElement(element: T, timestampMs: number, window: W, ctx: TriggerContext): TriggerResult {
    return purging(this.nested.onElement(element, timestampMs, window, ctx));
  }

  onEventTime(timeMs: number, window: W, ctx: TriggerContext): TriggerResult {
    return purging(this.nested.onEventTime?.(timeMs, window, ctx) ?? 'CONTINUE');
  }

  onProcessingTime(timeMs: number, window: W, ctx: TriggerContext): TriggerResult {
    return purging(this.nested.onProcessingTime?.(timeMs, window, ctx) ?? 'CONTINUE');
  }

  clear(window: W, ctx: TriggerContext): void {
    this.nested.clear?.(window, ctx);
  }
}

function purging(result: TriggerResult): TriggerResult {
  return isFire(result) ? 'FIRE_AND_PURGE' : result;
}

/** Never fires: the default of GlobalWindows, which has no end. */
export class NeverTrigger<T = unknown> implements Trigger<T, Window> {
  static create<T = unknown>(): NeverTrigger<T> {
    return new NeverTrigger<T>();
  }

  onElement(): TriggerResult {
    return 'CONTINUE';
  }

  onMerge(): void {}
}
