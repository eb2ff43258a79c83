// Event-time windows on real worker threads: out-of-order generated events (bounded-out-of-
// orderness watermarks whose bound equals the generator's disorder, so no record is ever late)
// keyed by key, in tumbling, sliding and session windows, with aggregate, reduce and full-window
// process functions. test/time/window-jobs.test.ts checks every result against brute force.
import { defineJob, WatermarkStrategy } from '../../src/api/index.ts';
import { collect, generator, type GeneratedEvent, type GeneratorOptions } from '../../src/connectors/index.ts';
import { EventTimeSessionWindows, SlidingEventTimeWindows, TumblingEventTimeWindows, type Window } from '../../src/time/index.ts';
import type { AggregateFunction } from '../../src/functions/contracts.ts';
import type { Timed, WindowResult } from '../time/brute-force.ts';

export const sourceOptions = (count: number): GeneratorOptions => ({
  partitions: 2,
  count,
  keys: 20,
  seed: 21,
  eventTimeStartMs: 1_700_000_000_000,
  eventTimeStepMs: 10,
  outOfOrderFraction: 0.2,
  outOfOrderMaxMs: 300,
});
export const tumblingMs = 1_000;
export const sliding = { sizeMs: 2_000, slideMs: 500 };
export const sessionGapMs = 120;

// The record and result shapes are the brute-force oracle's (types only; no logic is shared).
export type { Timed, WindowResult };

type Stats = { count: number; max: number; sum: number };
export const stats: AggregateFunction<Timed, Stats, Stats> = {
  createAccumulator: () => ({ count: 0, max: -Infinity, sum: 0 }),
  add: (v, acc) => {
    acc.count++;
    acc.max = Math.max(acc.max, v.value);
    acc.sum += v.value;
    return acc;
  },
  getResult: (acc) => acc,
  merge: (a, b) => ({ count: a.count + b.count, max: Math.max(a.max, b.max), sum: a.sum + b.sum }),
};

export const withWindow = (key: number, window: Window, [s]: Stats[], out: { collect(r: WindowResult): void }) =>
  out.collect({ key, start: window.start, end: window.end, count: s.count, max: s.max, sum: s.sum });

export default defineJob((env) => {
  const count = env.numberParam('count', 20_000);
  const events = env
    .source(generator(sourceOptions(count)), {
      name: 'events',
      watermarks: WatermarkStrategy.boundedOutOfOrderness<GeneratedEvent>(300).withTimestampAssigner((e) => e.ts),
    })
    .map((e): Timed => ({ key: e.key, ts: e.ts, value: Math.floor(e.value) }), { name: 'project' });
  const keyed = events.keyBy((e) => e.key, { name: 'by-key' });

  const tumbling = keyed.window(TumblingEventTimeWindows.of(tumblingMs)).aggregate(stats, withWindow, { name: 'tumbling-window' });
  tumbling.sinkTo(collect('tumbling'));
  tumbling.sideOutput('late-records').sinkTo(collect('late'));

  keyed.window(SlidingEventTimeWindows.of(sliding.sizeMs, sliding.slideMs))
    .process<WindowResult>(
      (key, window, elements, out) =>
        out.collect({ key, start: window.start, end: window.end, count: elements.length, max: Math.max(...elements.map((e) => e.value)), sum: elements.reduce((a, e) => a + e.value, 0) }),
      { name: 'sliding-window' },
    )
    .sinkTo(collect('sliding'));

  keyed.window(EventTimeSessionWindows.withGap(sessionGapMs)).aggregate(stats, withWindow, { name: 'session-window' }).sinkTo(collect('sessions'));

  keyed.window(TumblingEventTimeWindows.of(tumblingMs))
    .reduce((a, b) => (a.value >= b.value ? a : b), undefined, { name: 'tumbling-max-window' })
    .sinkTo(collect('tumbling-max'));
});
