// The window operator as a keyed process function, driven through the real keyed operator with a
// real state store (test/keyed-harness.ts: heap, and LMDB with a tiny write-back cache so values
// round-trip through it), against window results computed by definition. The watermark
// is moved by the test, so lateness here is exact; the end-to-end tests (window-jobs.test.ts) run
// the same operators on real worker threads.
import { describe, expect, it } from 'vitest';
import type { AggregateFunction, KeyedProcessFunction } from '../../src/functions/contracts.ts';
import { generatedEvent, type GeneratorOptions } from '../../src/connectors/generator.ts';
import {
  CountTrigger,
  EventTimeSessionWindows,
  GlobalWindows,
  LATE_RECORDS_TAG,
  PurgingTrigger,
  SlidingEventTimeWindows,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  windowOperator,
  type Trigger,
  type Window,
  type WindowAssigner,
} from '../../src/time/index.ts';
import { aggregateContents, listContents, reduceContents, toProcessWindowFunction, type ProcessWindowFn } from '../../src/time/window-functions.ts';
import { KeyedOperatorHarness, type HarnessBackend } from '../keyed-harness.ts';
import { bruteForceSessions, bruteForceWindows, slidingOf, tumblingOf, windowResultOrder, type Timed, type WindowResult } from './brute-force.ts';

type Stats = { count: number; max: number; sum: number };
const stats: AggregateFunction<Timed, Stats, Stats> = {
  createAccumulator: () => ({ count: 0, max: -Infinity, sum: 0 }),
  add: (v, acc) => ({ count: acc.count + 1, max: Math.max(acc.max, v.value), sum: acc.sum + v.value }),
  getResult: (acc) => acc,
  merge: (a, b) => ({ count: a.count + b.count, max: Math.max(a.max, b.max), sum: a.sum + b.sum }),
};
const withWindow: ProcessWindowFn<Stats, WindowResult, number, Window> = (key, window, [s], out) => out.collect({ key, start: window.start, end: window.end, ...s });
const fullWindow: ProcessWindowFn<Timed, WindowResult, number, Window> = (key, window, elements, out) =>
  out.collect({ key, start: window.start, end: window.end, count: elements.length, max: Math.max(...elements.map((e) => e.value)), sum: elements.reduce((a, e) => a + e.value, 0) });

function aggregateOperator(assigner: WindowAssigner<Timed, Window>, opts: { latenessMs?: number; trigger?: Trigger<Timed, Window>; lateTag?: string } = {}) {
  return windowOperator<Timed, number, Window, Stats, Stats, WindowResult>({
    assigner,
    trigger: opts.trigger ?? assigner.defaultTrigger(),
    allowedLatenessMs: opts.latenessMs ?? 0,
    lateDataTag: opts.lateTag ?? LATE_RECORDS_TAG,
    contents: aggregateContents(stats, typeof assigner.mergeWindows === 'function'),
    windowFunction: toProcessWindowFunction(withWindow),
  });
}

function processOperator(assigner: WindowAssigner<Timed, Window>) {
  return windowOperator<Timed, number, Window, Timed[], Timed, WindowResult>({
    assigner,
    trigger: assigner.defaultTrigger(),
    allowedLatenessMs: 0,
    lateDataTag: LATE_RECORDS_TAG,
    contents: listContents<Timed>(),
    windowFunction: toProcessWindowFunction(fullWindow),
  });
}

const genOpts: GeneratorOptions = { partitions: 1, keys: 7, seed: 3, eventTimeStartMs: 1_000_000, eventTimeStepMs: 3, outOfOrderFraction: 0.2, outOfOrderMaxMs: 500 };
const input: Timed[] = Array.from({ length: 3000 }, (_, i) => {
  const e = generatedEvent(genOpts, 0, i);
  return { key: e.key, ts: e.ts, value: Math.floor(e.value) };
});

/** Feeds records in order, with a bounded-out-of-orderness watermark (bound ≥ the generator's disorder: nothing is late). */
function drive(fn: KeyedProcessFunction<Timed, number, WindowResult>, records: Timed[], backend: HarnessBackend, boundMs = 500) {
  const rt = new KeyedOperatorHarness(fn, { backend });
  let maxTs = -Infinity;
  for (const r of records) {
    rt.element(r.key, r, r.ts);
    maxTs = Math.max(maxTs, r.ts);
    rt.advanceWatermark(maxTs - boundMs - 1);
  }
  rt.end();
  return rt;
}

const sorted = (rs: WindowResult[]) => [...rs].sort(windowResultOrder);

for (const backend of ['heap', 'lmdb'] as HarnessBackend[]) {
  describe(`window operator (${backend} state)`, () => {
    it('tumbling aggregate = brute force; each window fires once at its end; state and timers are gone at the end', () => {
      const rt = drive(aggregateOperator(TumblingEventTimeWindows.of(1000)), input, backend);
      expect(sorted(rt.values())).toEqual(bruteForceWindows(input, tumblingOf(1000)));
      for (const e of rt.emitted) expect(e.timestampMs).toBe(e.value.end - 1);
      expect(rt.sideOutput(LATE_RECORDS_TAG)).toEqual([]);
      expect(rt.stateEntries()).toBe(0);
      expect(rt.pendingTimers()).toBe(0);
    });

    it('tumbling windows with an offset', () => {
      const rt = drive(aggregateOperator(TumblingEventTimeWindows.of(1000, 250)), input, backend);
      expect(sorted(rt.values())).toEqual(bruteForceWindows(input, tumblingOf(1000, 250)));
    });

    it('a record a window cannot store fails naming the state, the key and its place; an accumulator too', () => {
      const list = new KeyedOperatorHarness(processOperator(SlidingEventTimeWindows.of(2000, 1000)), { backend });
      list.element(1, { key: 1, ts: 10, value: 5 }, 10);
      list.element(1, { key: 1, ts: 20, value: 6 }, 20);
      expect(() => list.element(1, { key: 1, ts: 30, value: 7, onClick: () => 0 } as Timed, 30)).toThrow(/operator "under-test" state "windows" key 1: write failed: .*a function at \.onClick cannot be stored/);
      list.advanceWatermark(999); // what the window held is as it was: the refused record is not in it
      expect(list.values()).toEqual([{ key: 1, start: -1000, end: 1000, count: 2, max: 6, sum: 11 }]);
      const aggregate = new KeyedOperatorHarness(
        windowOperator<Timed, number, Window, unknown, unknown, unknown>({
          assigner: TumblingEventTimeWindows.of(1000),
          trigger: TumblingEventTimeWindows.of(1000).defaultTrigger(),
          allowedLatenessMs: 0,
          lateDataTag: LATE_RECORDS_TAG,
          contents: aggregateContents<Timed, unknown, unknown>({ createAccumulator: () => ({ n: 0 }), add: (v, acc) => (v.value > 6 ? { n: 1, later: () => 0 } : acc), getResult: (acc) => acc }, false),
          windowFunction: toProcessWindowFunction<unknown, unknown, number, Window>((_k, _w, [r], out) => out.collect(r)),
        }),
        { backend },
      );
      aggregate.element(1, { key: 1, ts: 10, value: 5 }, 10);
      expect(() => aggregate.element(2, { key: 2, ts: 20, value: 7 }, 20)).toThrow(/key 2: write failed: .*a function at \[0\]\.contents\.later cannot be stored/);
    });

    it('windows fire when the watermark passes their end, not before', () => {
      const rt = new KeyedOperatorHarness(aggregateOperator(TumblingEventTimeWindows.of(1000)), { backend });
      rt.element(1, { key: 1, ts: 10, value: 5 }, 10);
      rt.element(1, { key: 1, ts: 999, value: 7 }, 999);
      rt.advanceWatermark(998);
      expect(rt.emitted).toEqual([]);
      rt.advanceWatermark(999);
      expect(rt.values()).toEqual([{ key: 1, start: 0, end: 1000, count: 2, max: 7, sum: 12 }]);
    });

    it('sliding full-window process = brute force', () => {
      const rt = drive(processOperator(SlidingEventTimeWindows.of(2000, 500)), input, backend);
      expect(sorted(rt.values())).toEqual(bruteForceWindows(input, slidingOf(2000, 500)));
      expect(rt.stateEntries()).toBe(0);
    });

    it('session aggregate = brute force, sessions merge (also across out-of-order records)', () => {
      // Sparse keys so that sessions form and break: key k gets records every ~3·7 ms on average; gap 40 ms.
      const rt = drive(aggregateOperator(EventTimeSessionWindows.withGap(40)), input, backend);
      const want = bruteForceSessions(input, 40);
      expect(sorted(rt.values())).toEqual(want);
      expect(want.some((w) => w.count > 3)).toBe(true);
      expect(want.length).toBeGreaterThan(20);
      expect(rt.stateEntries()).toBe(0);
    });

    it('session full-window process = brute force', () => {
      const rt = drive(processOperator(EventTimeSessionWindows.withGap(40)), input, backend);
      expect(sorted(rt.values())).toEqual(bruteForceSessions(input, 40));
    });

    it('a record between two sessions merges them into one result', () => {
      const rt = new KeyedOperatorHarness(aggregateOperator(EventTimeSessionWindows.withGap(10)), { backend });
      rt.element(1, { key: 1, ts: 0, value: 1 }, 0);
      rt.element(1, { key: 1, ts: 15, value: 2 }, 15);
      rt.element(1, { key: 1, ts: 8, value: 3 }, 8); // [8, 18) touches [0, 10) and [15, 25)
      rt.end();
      expect(rt.values()).toEqual([{ key: 1, start: 0, end: 25, count: 3, max: 3, sum: 6 }]);
      expect(rt.emitted[0].timestampMs).toBe(24);
    });

    it('trigger state merges with sessions (a count trigger counts across the merged windows)', () => {
      const rt = new KeyedOperatorHarness(aggregateOperator(EventTimeSessionWindows.withGap(10), { trigger: CountTrigger.of(3) }), { backend });
      rt.element(1, { key: 1, ts: 0, value: 1 }, 0);
      rt.element(1, { key: 1, ts: 15, value: 2 }, 15);
      expect(rt.emitted).toEqual([]);
      rt.element(1, { key: 1, ts: 8, value: 3 }, 8); // merges both: 1 + 1 counted, + this one = 3
      expect(rt.values()).toEqual([{ key: 1, start: 0, end: 25, count: 3, max: 3, sum: 6 }]);
      rt.element(1, { key: 1, ts: 16, value: 4 }, 16);
      rt.end(); // a count trigger does not fire at the end; the window is cleaned up
      expect(rt.values()).toHaveLength(1);
      expect(rt.stateEntries()).toBe(0);
    });

    it('reduce with a process-window function', () => {
      const fn = windowOperator<Timed, number, Window, Timed, Timed, { key: number; end: number; max: number }>({
        assigner: TumblingEventTimeWindows.of(1000),
        trigger: TumblingEventTimeWindows.of(1000).defaultTrigger(),
        allowedLatenessMs: 0,
        lateDataTag: LATE_RECORDS_TAG,
        contents: reduceContents<Timed>((a, b) => (a.value >= b.value ? a : b)),
        windowFunction: toProcessWindowFunction<Timed, { key: number; end: number; max: number }, number, Window>((key, window, [best], out) => out.collect({ key, end: window.end, max: best.value })),
      });
      const rt = new KeyedOperatorHarness(fn, { backend });
      let maxTs = -Infinity;
      for (const r of input) {
        rt.element(r.key, r, r.ts);
        maxTs = Math.max(maxTs, r.ts);
        rt.advanceWatermark(maxTs - 501);
      }
      rt.end();
      const want = bruteForceWindows(input, tumblingOf(1000)).map((w) => ({ key: w.key, end: w.end, max: w.max }));
      expect([...rt.values()].sort((a, b) => a.key - b.key || a.end - b.end)).toEqual(want);
    });

    it('allowed lateness: a late record within it re-fires the window with the updated result; later ones go to the late output', () => {
      const rt = new KeyedOperatorHarness(aggregateOperator(TumblingEventTimeWindows.of(10), { latenessMs: 5 }), { backend });
      rt.element(1, { key: 1, ts: 1, value: 1 }, 1);
      rt.advanceWatermark(9);
      expect(rt.values()).toEqual([{ key: 1, start: 0, end: 10, count: 1, max: 1, sum: 1 }]);
      rt.element(1, { key: 1, ts: 2, value: 2 }, 2); // late by the watermark, within lateness: fires at once
      expect(rt.values()[1]).toEqual({ key: 1, start: 0, end: 10, count: 2, max: 2, sum: 3 });
      expect(rt.emitted[1].timestampMs).toBe(9);
      rt.advanceWatermark(13);
      rt.element(1, { key: 1, ts: 3, value: 3 }, 3); // still within 9 + 5
      expect(rt.values()).toHaveLength(3);
      expect(rt.values()[2].count).toBe(3);
      rt.advanceWatermark(14); // cleanup time 9 + 5: the window is dropped
      expect(rt.stateEntries()).toBe(0);
      const late = { key: 1, ts: 4, value: 4 };
      rt.element(1, late, 4);
      expect(rt.values()).toHaveLength(3);
      expect(rt.sideOutput(LATE_RECORDS_TAG)).toEqual([late]);
      expect(rt.stateEntries()).toBe(0);
    });

    it('sideOutputLateData: late records go to the named tag', () => {
      const rt = new KeyedOperatorHarness(aggregateOperator(TumblingEventTimeWindows.of(10), { lateTag: 'too-late' }), { backend });
      rt.advanceWatermark(100);
      const late = { key: 2, ts: 50, value: 1 };
      rt.element(2, late, 50);
      rt.element(2, { key: 2, ts: 101, value: 1 }, 101);
      rt.end();
      expect(rt.sideOutput('too-late')).toEqual([late]);
      expect(rt.sideOutput(LATE_RECORDS_TAG)).toEqual([]);
      expect(rt.values()).toEqual([{ key: 2, start: 100, end: 110, count: 1, max: 1, sum: 1 }]);
    });

    it('a late record that bridges into a live session is kept (the merged window is not late)', () => {
      const rt = new KeyedOperatorHarness(aggregateOperator(EventTimeSessionWindows.withGap(10)), { backend });
      rt.element(1, { key: 1, ts: 100, value: 1 }, 100);
      rt.advanceWatermark(95);
      rt.element(1, { key: 1, ts: 92, value: 2 }, 92); // [92, 102) is late on its own, merges with [100, 110)
      rt.element(1, { key: 1, ts: 50, value: 3 }, 50); // [50, 60): late, alone
      rt.end();
      expect(rt.values()).toEqual([{ key: 1, start: 92, end: 110, count: 2, max: 2, sum: 3 }]);
      expect(rt.sideOutput(LATE_RECORDS_TAG)).toEqual([{ key: 1, ts: 50, value: 3 }]);
    });

    it('sessions of time windows take a short path when a record meets at most one session: the same results, late records, state and timers as the merging set gives', () => {
      // The same assigner, wrapped so that the operator does not know it merges time windows: every record then goes through the merging set.
      const sessions = EventTimeSessionWindows.withGap<Timed>(100);
      const opaque: WindowAssigner<Timed, Window> = {
        description: 'opaque sessions',
        isEventTime: true,
        assignWindows: (e, ts, ctx) => sessions.assignWindows(e, ts, ctx),
        defaultTrigger: () => sessions.defaultTrigger() as Trigger<Timed, Window>,
        windowOf: (start, end) => sessions.windowOf(start, end),
        mergeWindows: (windows) => sessions.mergeWindows(windows as never) as never,
      };
      let seed = 11;
      const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
      // Records of 5 keys, 0–80 ms apart (a gap of a key's own now and then), up to 150 ms out of
      // order and one in 30 up to 600 ms, the watermark 100 ms behind: some late, some bridging two sessions.
      let t = 0;
      const records = Array.from({ length: 4000 }, () => {
        t += Math.floor(next() * 80);
        return { key: Math.floor(next() * 5), ts: t - Math.floor(next() * (next() < 1 / 30 ? 600 : 150)), value: Math.floor(next() * 100) };
      });
      for (const options of [{}, { latenessMs: 50 }, { trigger: CountTrigger.of(3) }]) {
        const short = new KeyedOperatorHarness(aggregateOperator(sessions as WindowAssigner<Timed, Window>, options), { backend });
        const long = new KeyedOperatorHarness(aggregateOperator(opaque, options), { backend });
        let maxTs = -Infinity;
        records.forEach((r, i) => {
          for (const rt of [short, long]) rt.element(r.key, r, r.ts);
          maxTs = Math.max(maxTs, r.ts);
          if (i % 7 === 0) for (const rt of [short, long]) rt.advanceWatermark(maxTs - 100);
          if (i % 500 === 0) expect(short.stateEntries()).toBe(long.stateEntries());
        });
        expect(short.pendingTimers()).toBe(long.pendingTimers());
        for (const rt of [short, long]) rt.end();
        expect(short.emitted).toEqual(long.emitted);
        expect(short.sideOutput(LATE_RECORDS_TAG)).toEqual(long.sideOutput(LATE_RECORDS_TAG));
        expect(short.sideOutput(LATE_RECORDS_TAG).length).toBeGreaterThan(0);
        expect(short.emitted.length).toBeGreaterThan(300);
      }
    });

    it('a result carries its newest record\'s creation time and arrival, kept through a session merge', () => {
      const rt = new KeyedOperatorHarness(aggregateOperator(EventTimeSessionWindows.withGap(20)), { backend });
      const at = (processingTimeMs: number, key: number, ts: number, createdMs: number) => {
        rt.processingTimeMs = processingTimeMs;
        rt.element(key, { key, ts, value: 1 }, ts, createdMs);
      };
      at(5, 1, 100, 1_000); // [100, 120)
      at(7, 1, 130, 3_000); // [130, 150): the newest creation time
      at(9, 1, 115, 2_000); // [115, 135) bridges both: one session [100, 150)
      at(11, 1, 120, NaN); // no creation time: does not count
      at(13, 2, 100, NaN); // a key whose records have none
      rt.end();
      const byKey = new Map(rt.emitted.map((e) => [e.key, e]));
      expect(byKey.get(1)!.value).toMatchObject({ start: 100, end: 150, count: 4 });
      expect(byKey.get(1)!.createdMs).toBe(3_000);
      expect(byKey.get(1)!.arrivedMs).toBe(7);
      expect(byKey.get(2)!.createdMs).toBeNaN();
      expect(byKey.get(2)!.arrivedMs).toBeNaN();
    });

    it('a purged window forgets its newest creation time', () => {
      const rt = new KeyedOperatorHarness(aggregateOperator(TumblingEventTimeWindows.of(1000), { trigger: PurgingTrigger.of(CountTrigger.of(2)) }), { backend });
      rt.element(1, { key: 1, ts: 1, value: 1 }, 1, 2_000);
      rt.element(1, { key: 1, ts: 2, value: 1 }, 2, 1_000); // fires from the record: measured from 2 000
      rt.element(1, { key: 1, ts: 3, value: 1 }, 3, 500);
      rt.element(1, { key: 1, ts: 4, value: 1 }, 4, 600);
      expect(rt.emitted.map((e) => e.createdMs)).toEqual([2_000, 600]);
    });

    it('global windows with a purging count trigger: one result per n records of a key', () => {
      const assigner = GlobalWindows.create<Timed>() as unknown as WindowAssigner<Timed, Window>;
      const rt = new KeyedOperatorHarness(aggregateOperator(assigner, { trigger: PurgingTrigger.of(CountTrigger.of(4)) }), { backend });
      for (const r of input) rt.element(r.key, r, r.ts);
      rt.end();
      const perKey = new Map<number, Timed[]>();
      for (const r of input) perKey.set(r.key, [...(perKey.get(r.key) ?? []), r]);
      const want: Array<{ key: number; count: number; sum: number }> = [];
      for (const [key, rs] of perKey) {
        for (let i = 0; i + 4 <= rs.length; i += 4) want.push({ key, count: 4, sum: rs.slice(i, i + 4).reduce((a, r) => a + r.value, 0) });
      }
      const got = rt.values().map((r) => ({ key: r.key, count: r.count, sum: r.sum }));
      const order = (a: { key: number; sum: number }, b: { key: number; sum: number }) => a.key - b.key || a.sum - b.sum;
      expect(got.sort(order)).toEqual(want.sort(order));
      // Results of the global window carry the time of the record that fired them.
      expect(rt.emitted.every((e) => Number.isFinite(e.timestampMs))).toBe(true);
    });

    it('a non-purging count trigger fires with everything so far', () => {
      const assigner = GlobalWindows.create<Timed>() as unknown as WindowAssigner<Timed, Window>;
      const rt = new KeyedOperatorHarness(aggregateOperator(assigner, { trigger: CountTrigger.of(2) }), { backend });
      for (let i = 0; i < 6; i++) rt.element(1, { key: 1, ts: i, value: i }, i);
      expect(rt.values().map((r) => r.count)).toEqual([2, 4, 6]);
    });

    it('a custom trigger: early results every 100 ms of event time, and a final one at the end of the window', () => {
      // Fires at each multiple of 100 inside the window (event-time timers), and at the window's end.
      const early: Trigger<Timed, Window> = {
        onElement(_e, ts, window, ctx) {
          ctx.registerEventTimeTimer(window.maxTimestamp());
          const next = Math.floor(ts / 100) * 100 + 99;
          if (next < window.maxTimestamp()) ctx.registerEventTimeTimer(next);
          const fired = ctx.state<number>('elements');
          fired.update((fired.value() ?? 0) + 1);
          return 'CONTINUE';
        },
        onEventTime: () => 'FIRE',
        clear(window, ctx) {
          ctx.deleteEventTimeTimer(window.maxTimestamp());
          ctx.state('elements').clear();
        },
      };
      const rt = new KeyedOperatorHarness(aggregateOperator(TumblingEventTimeWindows.of(1000), { trigger: early }), { backend });
      rt.element(1, { key: 1, ts: 10, value: 1 }, 10);
      rt.element(1, { key: 1, ts: 150, value: 2 }, 150);
      rt.advanceWatermark(120);
      expect(rt.values().map((r) => r.count)).toEqual([2]); // the timer at 99 fired; both records were in
      rt.element(1, { key: 1, ts: 420, value: 3 }, 420);
      rt.advanceWatermark(500);
      expect(rt.values().map((r) => r.count)).toEqual([2, 3, 3]); // 199 and 499
      rt.end();
      expect(rt.values().map((r) => r.count)).toEqual([2, 3, 3, 3]); // 999, then cleanup
      expect(rt.stateEntries()).toBe(0);
    });

    it('processing-time windows fire on the clock', () => {
      const fn = windowOperator<Timed, number, Window, Stats, Stats, WindowResult>({
        assigner: TumblingProcessingTimeWindows.of(100),
        trigger: TumblingProcessingTimeWindows.of(100).defaultTrigger(),
        allowedLatenessMs: 0,
        lateDataTag: LATE_RECORDS_TAG,
        contents: aggregateContents(stats, false),
        windowFunction: toProcessWindowFunction(withWindow),
      });
      const rt = new KeyedOperatorHarness(fn, { backend });
      rt.advanceProcessingTime(1_005);
      rt.element(1, { key: 1, ts: 0, value: 1 }, NaN); // no event time needed
      rt.advanceProcessingTime(1_050);
      rt.element(1, { key: 1, ts: 0, value: 2 }, NaN);
      rt.advanceProcessingTime(1_098);
      expect(rt.emitted).toEqual([]);
      rt.advanceProcessingTime(1_099);
      expect(rt.emitted).toEqual([]); // the window's last millisecond has not passed yet
      rt.element(1, { key: 1, ts: 0, value: 3 }, NaN); // still in [1000, 1100)
      rt.advanceProcessingTime(1_100);
      expect(rt.values()).toEqual([{ key: 1, start: 1000, end: 1100, count: 3, max: 3, sum: 6 }]);
      expect(rt.stateEntries()).toBe(0);
    });

    it('an event-time window needs record timestamps', () => {
      const rt = new KeyedOperatorHarness(aggregateOperator(TumblingEventTimeWindows.of(10)), { backend });
      expect(() => rt.element(1, { key: 1, ts: 0, value: 1 }, NaN)).toThrow(/no event timestamp/);
    });
  });
}

describe('window operator definitions', () => {
  it('aggregate over sessions needs merge', () => {
    const { merge: _merge, ...noMerge } = stats;
    expect(() => aggregateContents(noMerge, true)).toThrow(/merge/);
  });

  it('a merging assigner needs a trigger with onMerge', () => {
    expect(() => aggregateOperator(EventTimeSessionWindows.withGap(10), { trigger: { onElement: () => 'CONTINUE' } })).toThrow(/onMerge/);
  });
});
