// User sessions from out-of-order page views: event time with bounded-out-of-orderness watermarks,
// session windows per user (a session ends after 30 s of the user's event time without a view),
// each session's view count and span computed incrementally, and views per user per minute in
// tumbling windows. Records too late for their window (beyond 5 s of allowed lateness) are kept
// in a file of their own rather than dropped.
//
//   node bin/weir.mjs run examples/sessions.ts --work-dir weir-out
//   node bin/weir.mjs run examples/sessions.ts --mode micro-batch --param count=500000
//
// Output (in the work dir): sessions-<w>.jsonl, views-per-minute-<w>.jsonl, late-views-<w>.jsonl.
import { defineJob, WatermarkStrategy } from '../src/api/index.ts';
import { fileSink, generator, type GeneratedEvent } from '../src/connectors/index.ts';
import { EventTimeSessionWindows, TumblingEventTimeWindows } from '../src/time/index.ts';

interface View {
  user: number;
  page: number;
  ts: number;
}

interface Span {
  views: number;
  firstMs: number;
  lastMs: number;
}

const sessionSpan = {
  createAccumulator: (): Span => ({ views: 0, firstMs: Infinity, lastMs: -Infinity }),
  add: (v: View, s: Span): Span => ({ views: s.views + 1, firstMs: Math.min(s.firstMs, v.ts), lastMs: Math.max(s.lastMs, v.ts) }),
  getResult: (s: Span) => s,
  // Sessions merge when a view bridges two of them: their spans combine.
  merge: (a: Span, b: Span): Span => ({ views: a.views + b.views, firstMs: Math.min(a.firstMs, b.firstMs), lastMs: Math.max(a.lastMs, b.lastMs) }),
};

export default defineJob(
  (env) => {
    const count = env.numberParam('count', 200_000);
    const views = env
      .source(
        generator({ partitions: 2, count, keys: 2_000, keySkew: 0.8, seed: 2026, eventTimeStepMs: 20, outOfOrderFraction: 0.05, outOfOrderMaxMs: 3_000 }),
        { name: 'page-views', watermarks: WatermarkStrategy.boundedOutOfOrderness<GeneratedEvent>(1_000).withTimestampAssigner((e) => e.ts) },
      )
      .map((e): View => ({ user: e.key, page: Math.floor(e.value) % 50, ts: e.ts }), { name: 'to-view' });
    const byUser = views.keyBy((v) => v.user, { name: 'by-user' });

    byUser.window(EventTimeSessionWindows.withGap(30_000))
      .aggregate(sessionSpan, (user, window, [s], out) => out.collect({ user, sessionStart: window.start, sessionEnd: window.end, views: s.views, spanMs: s.lastMs - s.firstMs }), {
        name: 'sessions',
      })
      .sinkTo(fileSink({ path: 'sessions.jsonl', name: 'sessions' }));

    const perMinute = byUser.window(TumblingEventTimeWindows.of(60_000))
      .allowedLateness(5_000)
      .sideOutputLateData('late-views')
      .aggregate({ createAccumulator: () => 0, add: (_v: View, n: number) => n + 1, getResult: (n: number) => n }, (user, window, [n], out) => out.collect({ user, minute: window.start, views: n }), {
        name: 'views-per-minute',
      });
    perMinute.sinkTo(fileSink({ path: 'views-per-minute.jsonl', name: 'views-per-minute' }));
    perMinute.sideOutput<View>('late-views').sinkTo(fileSink({ path: 'late-views.jsonl', name: 'late-views' }));
  },
  { name: 'sessions' },
);
