import { describe, expect, it } from 'vitest';
import {
  CountTrigger,
  EventTimeSessionWindows,
  EventTimeTrigger,
  GlobalWindow,
  GlobalWindows,
  MergingWindowSet,
  NeverTrigger,
  ProcessingTimeSessionWindows,
  ProcessingTimeTrigger,
  PurgingTrigger,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  TimeWindow,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  mergeTimeWindows,
  windowStartWithOffset,
  type OnMergeContext,
} from '../../src/time/index.ts';

const noClock = { currentProcessingTime: () => 0 };
const bounds = (ws: ReadonlyArray<{ start: number; end: number }>) => ws.map((w) => [w.start, w.end]);

describe('time windows', () => {
  it('maxTimestamp is end − 1; touching windows intersect (Flink)', () => {
    const w = new TimeWindow(0, 10);
    expect(w.maxTimestamp()).toBe(9);
    expect(w.intersects(new TimeWindow(10, 20))).toBe(true);
    expect(w.intersects(new TimeWindow(11, 20))).toBe(false);
    expect(w.cover(new TimeWindow(5, 30))).toEqual(new TimeWindow(0, 30));
    expect(GlobalWindow.get().maxTimestamp()).toBe(Infinity);
  });

  it('window starts align to the offset, also for negative times', () => {
    expect(windowStartWithOffset(1234, 0, 1000)).toBe(1000);
    expect(windowStartWithOffset(1000, 0, 1000)).toBe(1000);
    expect(windowStartWithOffset(999, 0, 1000)).toBe(0);
    expect(windowStartWithOffset(1234, 300, 1000)).toBe(300);
    expect(windowStartWithOffset(1300, 300, 1000)).toBe(1300);
    expect(windowStartWithOffset(-1, 0, 1000)).toBe(-1000);
    expect(windowStartWithOffset(-1000, 0, 1000)).toBe(-1000);
  });
});

describe('assigners', () => {
  it('tumbling: one window [k·size + offset, …)', () => {
    expect(bounds(TumblingEventTimeWindows.of(10_000).assignWindows(null, 12_345, noClock))).toEqual([[10_000, 20_000]]);
    expect(bounds(TumblingEventTimeWindows.of(10_000, 2_000).assignWindows(null, 12_345, noClock))).toEqual([[12_000, 22_000]]);
    expect(bounds(TumblingEventTimeWindows.of(10_000, 2_000).assignWindows(null, 11_999, noClock))).toEqual([[2_000, 12_000]]);
    expect(TumblingEventTimeWindows.of(1).isEventTime).toBe(true);
    expect(TumblingEventTimeWindows.of(1).defaultTrigger()).toBeInstanceOf(EventTimeTrigger);
    expect(() => TumblingEventTimeWindows.of(0)).toThrow(/sizeMs/);
    expect(() => TumblingEventTimeWindows.of(10, 10)).toThrow(/offsetMs/);
  });

  it('sliding: every window of the family containing the timestamp, latest first', () => {
    expect(bounds(SlidingEventTimeWindows.of(10_000, 5_000).assignWindows(null, 12_345, noClock))).toEqual([
      [10_000, 20_000],
      [5_000, 15_000],
    ]);
    expect(bounds(SlidingEventTimeWindows.of(3_000, 1_000).assignWindows(null, 3_000, noClock))).toEqual([
      [3_000, 6_000],
      [2_000, 5_000],
      [1_000, 4_000],
    ]);
    // slide > size: gaps between windows, some times in no window.
    expect(bounds(SlidingEventTimeWindows.of(1_000, 5_000).assignWindows(null, 2_500, noClock))).toEqual([]);
    expect(() => SlidingEventTimeWindows.of(10, 0)).toThrow(/slideMs/);
  });

  it('processing-time assigners use the clock, not the record timestamp', () => {
    const clock = { currentProcessingTime: () => 54_321 };
    expect(bounds(TumblingProcessingTimeWindows.of(10_000).assignWindows(null, 1, clock))).toEqual([[50_000, 60_000]]);
    expect(bounds(SlidingProcessingTimeWindows.of(10_000, 5_000).assignWindows(null, 1, clock))).toEqual([
      [50_000, 60_000],
      [45_000, 55_000],
    ]);
    expect(bounds(ProcessingTimeSessionWindows.withGap(100).assignWindows(null, 1, clock))).toEqual([[54_321, 54_421]]);
    expect(TumblingProcessingTimeWindows.of(1).isEventTime).toBe(false);
    expect(TumblingProcessingTimeWindows.of(1).defaultTrigger()).toBeInstanceOf(ProcessingTimeTrigger);
  });

  it('session: [t, t + gap), merging', () => {
    const sessions = EventTimeSessionWindows.withGap(100);
    expect(bounds(sessions.assignWindows(null, 5, noClock))).toEqual([[5, 105]]);
    expect(typeof sessions.mergeWindows).toBe('function');
  });

  it('global: one window, a trigger that never fires', () => {
    const g = GlobalWindows.create();
    expect(g.assignWindows(null, 0)).toEqual([GlobalWindow.get()]);
    expect(g.defaultTrigger()).toBeInstanceOf(NeverTrigger);
  });
});

describe('merging', () => {
  it('mergeTimeWindows merges overlapping and touching windows, reports only real merges', () => {
    const merges = mergeTimeWindows([new TimeWindow(0, 10), new TimeWindow(30, 40), new TimeWindow(5, 20), new TimeWindow(20, 25), new TimeWindow(50, 60)]);
    expect(merges.map((m) => [m.merged.start, m.merged.end, bounds(m.sources)])).toEqual([
      [0, 25, [[0, 10], [5, 20], [20, 25]]],
    ]);
  });

  it('MergingWindowSet: a record between two sessions bridges them; merged windows keep a state id', () => {
    const idOf = (w: TimeWindow) => `${w.start}:${w.end}`;
    const set = new MergingWindowSet<TimeWindow>(mergeTimeWindows, idOf);
    const calls: Array<[number[], number[][], string, string[]]> = [];
    const onMerge = (merged: TimeWindow, sources: TimeWindow[], stateId: string, stateIds: string[]) => void calls.push([[merged.start, merged.end], bounds(sources), stateId, stateIds]);
    expect(set.addWindow(new TimeWindow(0, 10), onMerge)).toEqual(new TimeWindow(0, 10));
    expect(set.addWindow(new TimeWindow(20, 30), onMerge)).toEqual(new TimeWindow(20, 30));
    expect(calls).toEqual([]);
    // Inside an existing window: no merge callback, the existing window is the result.
    expect(set.addWindow(new TimeWindow(2, 8), onMerge)).toEqual(new TimeWindow(0, 10));
    expect(calls).toEqual([]);
    // Extends one window: the merged window keeps that window's state id.
    expect(set.addWindow(new TimeWindow(5, 15), onMerge)).toEqual(new TimeWindow(0, 15));
    expect(calls).toEqual([[[0, 15], [[0, 10]], '0:10', ['0:10']]]);
    expect(set.stateIdOf(new TimeWindow(0, 15))).toBe('0:10');
    // Bridges the two: the callback names both pre-existing windows (never the new one) and their state ids.
    expect(set.addWindow(new TimeWindow(12, 22), onMerge)).toEqual(new TimeWindow(0, 30));
    expect(calls[1]).toEqual([[0, 30], [[0, 15], [20, 30]], '0:10', ['0:10', '20:30']]);
    expect(bounds(set.all())).toEqual([[0, 30]]);
    // Persisted form round-trips.
    const again = MergingWindowSet.fromFlat(set.toFlat(), (s, e) => new TimeWindow(s, e), mergeTimeWindows, idOf);
    expect(bounds(again.all())).toEqual([[0, 30]]);
    expect(again.stateIdOf(new TimeWindow(0, 30))).toBe('0:10');
    expect(again.retireWindow(new TimeWindow(0, 30))).toBe(true);
    expect(again.size).toBe(0);
  });
});

/** A trigger context over plain fields, to check trigger decisions on their own. */
function fakeTriggerContext(watermarkMs = -Infinity, nowMs = 0) {
  const state = new Map<string, unknown>();
  const ctx: OnMergeContext & { eventTimers: Set<number>; processingTimers: Set<number>; merged: Array<Record<string, unknown>> } = {
    eventTimers: new Set(),
    processingTimers: new Set(),
    merged: [],
    currentWatermark: () => watermarkMs,
    currentProcessingTime: () => nowMs,
    registerEventTimeTimer: (t) => void ctx.eventTimers.add(t),
    registerProcessingTimeTimer: (t) => void ctx.processingTimers.add(t),
    deleteEventTimeTimer: (t) => void ctx.eventTimers.delete(t),
    deleteProcessingTimeTimer: (t) => void ctx.processingTimers.delete(t),
    state: <S>(name: string) => ({ value: () => state.get(name) as S | undefined, update: (v: S) => void state.set(name, v), clear: () => void state.delete(name) }),
    mergedStates: <S>(name: string) => ctx.merged.map((m) => m[name] as S).filter((v) => v !== undefined),
  };
  return ctx;
}

describe('triggers', () => {
  const w = new TimeWindow(0, 100);

  it('event time: a timer at maxTimestamp, FIRE on it; a record behind the watermark fires at once', () => {
    const t = EventTimeTrigger.create();
    const ctx = fakeTriggerContext(50);
    expect(t.onElement(null, 10, w, ctx)).toBe('CONTINUE');
    expect([...ctx.eventTimers]).toEqual([99]);
    expect(t.onEventTime(98, w)).toBe('CONTINUE');
    expect(t.onEventTime(99, w)).toBe('FIRE');
    expect(t.onElement(null, 10, w, fakeTriggerContext(99))).toBe('FIRE');
    t.clear(w, ctx);
    expect(ctx.eventTimers.size).toBe(0);
    const merged = fakeTriggerContext(150);
    t.onMerge(new TimeWindow(0, 200), merged);
    expect([...merged.eventTimers]).toEqual([199]);
  });

  it('processing time: a processing-time timer at maxTimestamp, FIRE on it', () => {
    const t = ProcessingTimeTrigger.create();
    const ctx = fakeTriggerContext();
    expect(t.onElement(null, 10, w, ctx)).toBe('CONTINUE');
    expect([...ctx.processingTimers]).toEqual([99]);
    expect(t.onProcessingTime()).toBe('FIRE');
  });

  it('count: FIRE every n records, counts merge', () => {
    const t = CountTrigger.of(3);
    const ctx = fakeTriggerContext();
    expect([1, 2, 3, 4, 5, 6].map(() => t.onElement(null, 0, w, ctx))).toEqual(['CONTINUE', 'CONTINUE', 'FIRE', 'CONTINUE', 'CONTINUE', 'FIRE']);
    const merging = fakeTriggerContext();
    merging.merged = [{ count: 1 }, { count: 1 }];
    t.onMerge(w, merging);
    expect(t.onElement(null, 0, w, merging)).toBe('FIRE');
    expect(() => CountTrigger.of(0)).toThrow();
  });

  it('purging turns FIRE into FIRE_AND_PURGE and passes the rest through', () => {
    const t = PurgingTrigger.of(CountTrigger.of(2));
    const ctx = fakeTriggerContext();
    expect(t.onElement(null, 0, w, ctx)).toBe('CONTINUE');
    expect(t.onElement(null, 0, w, ctx)).toBe('FIRE_AND_PURGE');
    expect(t.onEventTime(1, w, ctx)).toBe('CONTINUE');
    expect(typeof PurgingTrigger.of(EventTimeTrigger.create()).onMerge).toBe('function');
    expect(PurgingTrigger.of(EventTimeTrigger.create()).onEventTime(99, w, ctx)).toBe('FIRE_AND_PURGE');
  });
});
