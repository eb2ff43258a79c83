/**
 * Windows and window assigners, with Flink's semantics (TimeWindow, TumblingEventTimeWindows,
 * SlidingEventTimeWindows, EventTimeSessionWindows, GlobalWindows and their processing-time twins).
 *
 * A window is a half-open interval of time [start, end): a record with timestamp t belongs to it
 * when start ≤ t < end, and its last instant is maxTimestamp = end − 1. Windows are plain values:
 * the window operator stores only their bounds and rebuilds them with `assigner.windowOf`.
 */
import { WeirError } from '../errors.ts';
import { EventTimeTrigger, NeverTrigger, ProcessingTimeTrigger, type Trigger } from './triggers.ts';

export interface Window {
  readonly start: number;
  readonly end: number;
  /** The last instant that belongs to the window (end − 1; +Infinity for the global window). */
  maxTimestamp(): number;
}

export class TimeWindow implements Window {
  constructor(
    readonly start: number,
    readonly end: number,
  ) {}

  maxTimestamp(): number {
    return this.end - 1;
  }

  /** True when the two windows overlap or touch (Flink's TimeWindow.intersects: [0,10) and [10,20) do). */
  intersects(other: TimeWindow): boolean {
    return this.start <= other.end && this.end >= other.start;
  }

  /** The smallest window covering both. */
  cover(other: TimeWindow): TimeWindow {
    return new TimeWindow(Math.min(this.start, other.start), Math.max(this.end, other.end));
  }

  equals(other: Window): boolean {
    return this.start === other.start && this.end === other.end;
  }

  toString(): string {
    return `[${this.start}, ${this.end})`;
  }
}

/** The one window of GlobalWindows: all of time; it never ends, so only a trigger fires it. */
export class GlobalWindow implements Window {
  static readonly instance = new GlobalWindow();
  readonly start = Number.NEGATIVE_INFINITY;
  readonly end = Number.POSITIVE_INFINITY;

  private constructor() {}

  static get(): GlobalWindow {
    return GlobalWindow.instance;
  }

  maxTimestamp(): number {
    return Number.POSITIVE_INFINITY;
  }

  toString(): string {
    return 'GlobalWindow';
  }
}

/** What an assigner can ask of the operator while assigning. */
export interface WindowAssignerContext {
  currentProcessingTime(): number;
}

/** One merge found by a merging assigner: `sources` (two or more windows) become `merged`. */
export interface WindowMerge<W extends Window> {
  merged: W;
  sources: W[];
}

/** Assigns each record to zero or more windows (Flink's WindowAssigner). */
export interface WindowAssigner<T, W extends Window> {
  /** Used in operator names and errors. */
  readonly description: string;
  /** Event time (timestamps and watermarks) or processing time (the wall clock). */
  readonly isEventTime: boolean;
  assignWindows(element: T, timestampMs: number, ctx: WindowAssignerContext): W[];
  /** The trigger used unless `.trigger(…)` sets another. */
  defaultTrigger(): Trigger<T, W>;
  /** Rebuilds a window from the bounds stored in state. */
  windowOf(start: number, end: number): W;
  /** Present on merging assigners (sessions): the merges among `windows`, each group of two or more. */
  mergeWindows?(windows: W[]): WindowMerge<W>[];
  /**
   * Present on event-time assigners whose windows are unions of fixed panes: every record whose
   * timestamp falls in one pane belongs to the same windows, and assignWindows does not read the
   * record (it may be undefined). Pre-aggregation combines by pane.
   */
  readonly panes?: Panes;
}

/** Panes [k·sizeMs + offsetMs, (k+1)·sizeMs + offsetMs): no window starts or ends inside one. */
export interface Panes {
  sizeMs: number;
  offsetMs: number;
}

export function isMergingAssigner<T, W extends Window>(assigner: WindowAssigner<T, W>): assigner is WindowAssigner<T, W> & { mergeWindows(windows: W[]): WindowMerge<W>[] } {
  return typeof assigner.mergeWindows === 'function';
}

/**
 * Start of the window of size `windowSizeMs` (aligned to `offsetMs`) that contains `timestampMs`
 * (Flink's TimeWindow.getWindowStartWithOffset, with a modulo that stays positive for negative times).
 */
export function windowStartWithOffset(timestampMs: number, offsetMs: number, windowSizeMs: number): number {
  const remainder = (timestampMs - offsetMs) % windowSizeMs;
  return timestampMs - (remainder < 0 ? remainder + windowSizeMs : remainder);
}

/**
 * Merges overlapping (or touching) windows, as Flink's TimeWindow.mergeWindows: sort by start,
 * sweep, extend the current group while the next window intersects it. Only groups of two or
 * more are merges.
 */
export function mergeTimeWindows(windows: TimeWindow[]): WindowMerge<TimeWindow>[] {
  const sorted = [...windows].sort((a, b) => a.start - b.start || a.end - b.end);
  const merges: WindowMerge<TimeWindow>[] = [];
  let current: WindowMerge<TimeWindow> | undefined;
  for (const window of sorted) {
    if (current !== undefined && current.merged.intersects(window)) {
      current.merged = current.merged.cover(window);
      current.sources.push(window);
    } else {
      if (current !== undefined && current.sources.length > 1) merges.push(current);
      current = { merged: window, sources: [window] };
    }
  }
  if (current !== undefined && current.sources.length > 1) merges.push(current);
  return merges;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function checkPositive(what: string, name: string, valueMs: number): void {
  if (!(valueMs > 0) || !Number.isFinite(valueMs)) throw new WeirError('WEIR_JOB_DEFINITION', `${what}: ${name} must be a finite number > 0, not ${valueMs}`);
}

function checkOffset(what: string, offsetMs: number, periodMs: number, periodName: string): void {
  if (!Number.isFinite(offsetMs) || Math.abs(offsetMs) >= periodMs) {
    throw new WeirError('WEIR_JOB_DEFINITION', `${what}: |offsetMs| must be < ${periodName} (${periodMs}), not ${offsetMs}`);
  }
}

const timeWindowOf = (start: number, end: number) => new TimeWindow(start, end);

abstract class TumblingWindows<T> implements WindowAssigner<T, TimeWindow> {
  abstract readonly isEventTime: boolean;
  abstract readonly description: string;

  protected constructor(
    readonly sizeMs: number,
    readonly offsetMs: number,
  ) {
    checkPositive('tumbling windows', 'sizeMs', sizeMs);
    checkOffset('tumbling windows', offsetMs, sizeMs, 'sizeMs');
  }

  protected assignAt(timestampMs: number): TimeWindow[] {
    const start = windowStartWithOffset(timestampMs, this.offsetMs, this.sizeMs);
    return [new TimeWindow(start, start + this.sizeMs)];
  }

  abstract assignWindows(element: T, timestampMs: number, ctx: WindowAssignerContext): TimeWindow[];
  abstract defaultTrigger(): Trigger<T, TimeWindow>;
  windowOf = timeWindowOf;
}

/** Fixed-size, non-overlapping windows in event time: [k·size + offset, (k+1)·size + offset). */
export class TumblingEventTimeWindows<T = unknown> extends TumblingWindows<T> {
  readonly isEventTime = true;
  readonly description: string;

  static of<T = unknown>(sizeMs: number, offsetMs = 0): TumblingEventTimeWindows<T> {
    return new TumblingEventTimeWindows<T>(sizeMs, offsetMs);
  }

  readonly panes: Panes;

  private constructor(sizeMs: number, offsetMs: number) {
    super(sizeMs, offsetMs);
    this.description = `TumblingEventTimeWindows(${sizeMs}${offsetMs ? `, ${offsetMs}` : ''})`;
    this.panes = { sizeMs, offsetMs };
  }

  assignWindows(_element: T, timestampMs: number, _ctx?: WindowAssignerContext): TimeWindow[] {
    return this.assignAt(timestampMs);
  }

  defaultTrigger(): Trigger<T, TimeWindow> {
    return EventTimeTrigger.create<T>();
  }
}

/** Fixed-size, non-overlapping windows of the wall clock at the operator. */
export class TumblingProcessingTimeWindows<T = unknown> extends TumblingWindows<T> {
  readonly isEventTime = false;
  readonly description: string;

  static of<T = unknown>(sizeMs: number, offsetMs = 0): TumblingProcessingTimeWindows<T> {
    return new TumblingProcessingTimeWindows<T>(sizeMs, offsetMs);
  }

  private constructor(sizeMs: number, offsetMs: number) {
    super(sizeMs, offsetMs);
    this.description = `TumblingProcessingTimeWindows(${sizeMs}${offsetMs ? `, ${offsetMs}` : ''})`;
  }

  assignWindows(_element: T, _timestampMs: number, ctx: WindowAssignerContext): TimeWindow[] {
    return this.assignAt(ctx.currentProcessingTime());
  }

  defaultTrigger(): Trigger<T, TimeWindow> {
    return ProcessingTimeTrigger.create<T>();
  }
}

abstract class SlidingWindows<T> implements WindowAssigner<T, TimeWindow> {
  abstract readonly isEventTime: boolean;
  abstract readonly description: string;

  protected constructor(
    readonly sizeMs: number,
    readonly slideMs: number,
    readonly offsetMs: number,
  ) {
    checkPositive('sliding windows', 'sizeMs', sizeMs);
    checkPositive('sliding windows', 'slideMs', slideMs);
    checkOffset('sliding windows', offsetMs, slideMs, 'slideMs');
  }

  /** Every window of the family that contains the timestamp, latest first (as Flink). */
  protected assignAt(timestampMs: number): TimeWindow[] {
    const windows: TimeWindow[] = [];
    const lastStart = windowStartWithOffset(timestampMs, this.offsetMs, this.slideMs);
    for (let start = lastStart; start > timestampMs - this.sizeMs; start -= this.slideMs) {
      windows.push(new TimeWindow(start, start + this.sizeMs));
    }
    return windows;
  }

  abstract assignWindows(element: T, timestampMs: number, ctx: WindowAssignerContext): TimeWindow[];
  abstract defaultTrigger(): Trigger<T, TimeWindow>;
  windowOf = timeWindowOf;
}

/** Windows of `sizeMs` starting every `slideMs` in event time; a record is in ⌈size/slide⌉ of them. */
export class SlidingEventTimeWindows<T = unknown> extends SlidingWindows<T> {
  readonly isEventTime = true;
  readonly description: string;

  static of<T = unknown>(sizeMs: number, slideMs: number, offsetMs = 0): SlidingEventTimeWindows<T> {
    return new SlidingEventTimeWindows<T>(sizeMs, slideMs, offsetMs);
  }

  readonly panes: Panes | undefined;

  private constructor(sizeMs: number, slideMs: number, offsetMs: number) {
    super(sizeMs, slideMs, offsetMs);
    this.description = `SlidingEventTimeWindows(${sizeMs}, ${slideMs}${offsetMs ? `, ${offsetMs}` : ''})`;
    // Windows start every slide and end size later, so every bound is a multiple of gcd(size, slide) past the offset.
    this.panes = Number.isInteger(sizeMs) && Number.isInteger(slideMs) ? { sizeMs: gcd(sizeMs, slideMs), offsetMs } : undefined;
  }

  assignWindows(_element: T, timestampMs: number, _ctx?: WindowAssignerContext): TimeWindow[] {
    return this.assignAt(timestampMs);
  }

  defaultTrigger(): Trigger<T, TimeWindow> {
    return EventTimeTrigger.create<T>();
  }
}

/** Sliding windows of the wall clock at the operator. */
export class SlidingProcessingTimeWindows<T = unknown> extends SlidingWindows<T> {
  readonly isEventTime = false;
  readonly description: string;

  static of<T = unknown>(sizeMs: number, slideMs: number, offsetMs = 0): SlidingProcessingTimeWindows<T> {
    return new SlidingProcessingTimeWindows<T>(sizeMs, slideMs, offsetMs);
  }

  private constructor(sizeMs: number, slideMs: number, offsetMs: number) {
    super(sizeMs, slideMs, offsetMs);
    this.description = `SlidingProcessingTimeWindows(${sizeMs}, ${slideMs}${offsetMs ? `, ${offsetMs}` : ''})`;
  }

  assignWindows(_element: T, _timestampMs: number, ctx: WindowAssignerContext): TimeWindow[] {
    return this.assignAt(ctx.currentProcessingTime());
  }

  defaultTrigger(): Trigger<T, TimeWindow> {
    return ProcessingTimeTrigger.create<T>();
  }
}

abstract class SessionWindows<T> implements WindowAssigner<T, TimeWindow> {
  abstract readonly isEventTime: boolean;
  abstract readonly description: string;

  protected constructor(readonly gapMs: number) {
    checkPositive('session windows', 'gapMs', gapMs);
  }

  abstract assignWindows(element: T, timestampMs: number, ctx: WindowAssignerContext): TimeWindow[];
  abstract defaultTrigger(): Trigger<T, TimeWindow>;
  windowOf = timeWindowOf;

  mergeWindows(windows: TimeWindow[]): WindowMerge<TimeWindow>[] {
    return mergeTimeWindows(windows);
  }
}

/**
 * Whether the assigner's windows are TimeWindows that merge when they overlap or touch
 * (mergeTimeWindows): the window operator then finds a record's session without a merging set
 * when the record's window meets at most one (window-operator.ts).
 */
export function mergesTimeWindows<T, W extends Window>(assigner: WindowAssigner<T, W>): boolean {
  return assigner instanceof SessionWindows && assigner.mergeWindows === SessionWindows.prototype.mergeWindows;
}

/**
 * Sessions in event time: each record opens the window [t, t + gap); windows of a key that
 * overlap or touch merge, so a session ends after `gapMs` without records of its key.
 */
export class EventTimeSessionWindows<T = unknown> extends SessionWindows<T> {
  readonly isEventTime = true;
  readonly description: string;

  static withGap<T = unknown>(gapMs: number): EventTimeSessionWindows<T> {
    return new EventTimeSessionWindows<T>(gapMs);
  }

  private constructor(gapMs: number) {
    super(gapMs);
    this.description = `EventTimeSessionWindows(${gapMs})`;
  }

  assignWindows(_element: T, timestampMs: number, _ctx?: WindowAssignerContext): TimeWindow[] {
    return [new TimeWindow(timestampMs, timestampMs + this.gapMs)];
  }

  defaultTrigger(): Trigger<T, TimeWindow> {
    return EventTimeTrigger.create<T>();
  }
}

/** Sessions of the wall clock at the operator. */
export class ProcessingTimeSessionWindows<T = unknown> extends SessionWindows<T> {
  readonly isEventTime = false;
  readonly description: string;

  static withGap<T = unknown>(gapMs: number): ProcessingTimeSessionWindows<T> {
    return new ProcessingTimeSessionWindows<T>(gapMs);
  }

  private constructor(gapMs: number) {
    super(gapMs);
    this.description = `ProcessingTimeSessionWindows(${gapMs})`;
  }

  assignWindows(_element: T, _timestampMs: number, ctx: WindowAssignerContext): TimeWindow[] {
    const now = ctx.currentProcessingTime();
    return [new TimeWindow(now, now + this.gapMs)];
  }

  defaultTrigger(): Trigger<T, TimeWindow> {
    return ProcessingTimeTrigger.create<T>();
  }
}

/**
 * One window per key holding everything (Flink's GlobalWindows). Its default trigger never fires:
 * give it one, typically `PurgingTrigger.of(CountTrigger.of(n))`. It is never cleaned up.
 */
export class GlobalWindows<T = unknown> implements WindowAssigner<T, GlobalWindow> {
  readonly isEventTime = false;
  readonly description = 'GlobalWindows';
  private static readonly assigned = [GlobalWindow.get()];

  static create<T = unknown>(): GlobalWindows<T> {
    return new GlobalWindows<T>();
  }

  private constructor() {}

  assignWindows(_element: T, _timestampMs: number, _ctx?: WindowAssignerContext): GlobalWindow[] {
    return GlobalWindows.assigned;
  }

  defaultTrigger(): Trigger<T, GlobalWindow> {
    return NeverTrigger.create<T>();
  }

  windowOf(): GlobalWindow {
    return GlobalWindow.get();
  }
}
