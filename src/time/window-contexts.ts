/**
 * The contexts the window operator (window-operator.ts) hands out, each one object bound anew for
 * every use rather than made for it: the window function's context and collector for a firing,
 * and a trigger's view of one window, whose timers and state live in the window's slot.
 */
import type { Collector, KeyedContext } from '../functions/contracts.ts';
import type { OnMergeContext, TriggerState } from './triggers.ts';
import type { ProcessWindowContext } from './window-functions.ts';
import type { WindowSlot } from './window-operator.ts';
import type { Window } from './windows.ts';

/**
 * The window function's context and collector for one firing. One object, bound anew for each
 * firing rather than made for it: a sliding window fires once per key per slide.
 */
export class WindowFiring<K, W extends Window, OUT> implements ProcessWindowContext<K, W>, Collector<OUT> {
  private keyed!: KeyedContext<K, OUT>;
  key!: K;
  window!: W;
  private emitAtMs = 0;
  private createdMs = Number.NaN;
  private arrivedMs = Number.NaN;

  bind(keyed: KeyedContext<K, OUT>, window: W, emitAtMs: number, createdMs: number, arrivedMs: number): this {
    this.keyed = keyed;
    this.key = keyed.key;
    this.window = window;
    this.emitAtMs = emitAtMs;
    this.createdMs = createdMs;
    this.arrivedMs = arrivedMs;
    return this;
  }

  collect(result: OUT): void {
    this.keyed.emit(result, this.emitAtMs, this.createdMs, this.arrivedMs);
  }

  currentWatermark(): number {
    return this.keyed.timerService.currentWatermark();
  }

  currentProcessingTime(): number {
    return this.keyed.timerService.currentProcessingTime();
  }

  output<X>(tag: string, value: X): void {
    this.keyed.output(tag, value);
  }
}

/** The trigger's view of one window: its timers and state live in the window's slot. */
export class SlotTriggerContext implements OnMergeContext {
  private keyed!: KeyedContext<unknown, unknown>;
  private slot!: WindowSlot;
  private merged: Array<Record<string, unknown>> = [];

  bind(keyed: KeyedContext<any, any>, slot: WindowSlot, merged: Array<Record<string, unknown>> = []): this {
    this.keyed = keyed;
    this.slot = slot;
    this.merged = merged;
    return this;
  }

  currentWatermark(): number {
    return this.keyed.timerService.currentWatermark();
  }

  currentProcessingTime(): number {
    return this.keyed.timerService.currentProcessingTime();
  }

  registerEventTimeTimer(timestampMs: number): void {
    const timers = (this.slot.eventTimers ??= []);
    if (timers.includes(timestampMs)) return;
    timers.push(timestampMs);
    this.keyed.timerService.registerEventTimeTimer(timestampMs);
  }

  registerProcessingTimeTimer(timestampMs: number): void {
    const timers = (this.slot.processingTimers ??= []);
    if (timers.includes(timestampMs)) return;
    timers.push(timestampMs);
    this.keyed.timerService.registerProcessingTimeTimer(timestampMs);
  }

  deleteEventTimeTimer(timestampMs: number): void {
    removeTime(this.slot.eventTimers, timestampMs);
  }

  deleteProcessingTimeTimer(timestampMs: number): void {
    removeTime(this.slot.processingTimers, timestampMs);
  }

  state<S>(name: string): TriggerState<S> {
    const slot = this.slot;
    return {
      value: () => slot.triggerState?.[name] as S | undefined,
      update: (value: S) => void ((slot.triggerState ??= {})[name] = value),
      clear: () => {
        if (slot.triggerState === undefined) return;
        delete slot.triggerState[name];
        if (Object.keys(slot.triggerState).length === 0) delete slot.triggerState;
      },
    };
  }

  mergedStates<S>(name: string): S[] {
    const values: S[] = [];
    for (const state of this.merged) if (state[name] !== undefined) values.push(state[name] as S);
    return values;
  }
}

function removeTime(times: number[] | undefined, timestampMs: number): void {
  if (times === undefined) return;
  const at = times.indexOf(timestampMs);
  if (at >= 0) times.splice(at, 1);
}
