// The main example: page views from a seeded, skewed generator at a fixed rate (open loop), cleaned,
// keyed by page, counted per page with keyed state, written as JSON lines into the run's work dir
// (page-counts-<worker>.jsonl).
//
//   node bin/weir.mjs run examples/clicks.ts                          # continuous, 2 workers
//   node bin/weir.mjs run examples/clicks.ts --mode micro-batch       # the same job, Spark-style
//   node bin/weir.mjs run examples/clicks.ts --param rate=200000 --param seconds=10
import { defineJob } from '../src/api/index.ts';
import { fileSink, generator } from '../src/connectors/index.ts';

interface PageView {
  page: string;
  user: number;
  dwellMs: number;
  ts: number;
}

export default defineJob(
  (env) => {
    const rate = env.numberParam('rate', 50_000);
    const seconds = env.numberParam('seconds', 5);
    const views = env.source(
      generator({ partitions: env.numberParam('partitions', 2), ratePerSec: rate, count: rate * seconds, keys: 500, keySkew: 1.1, seed: 2026, outOfOrderFraction: 0.05 }),
      { name: 'page-views' },
    );
    views
      .map((e): PageView => ({ page: `/page/${e.key}`, user: e.seq % 9973, dwellMs: Math.round(e.value * 30), ts: e.ts }), { name: 'to-page-view' })
      .filter((v) => v.dwellMs >= 500, { name: 'engaged-only' })
      .keyBy((v) => v.page, { name: 'by-page' })
      .process<{ page: string; views: number; dwellMsTotal: number }>(
        (v, ctx) => {
          const state = ctx.valueState<{ views: number; dwellMsTotal: number }>('totals');
          const totals = state.value() ?? { views: 0, dwellMsTotal: 0 };
          totals.views += 1;
          totals.dwellMsTotal += v.dwellMs;
          state.update(totals);
          // Emit a running count every 100 views of a page.
          if (totals.views % 100 === 0) ctx.emit({ page: ctx.key, ...totals });
        },
        { name: 'count-per-page' },
      )
      .sinkTo(fileSink({ path: 'page-counts.jsonl', name: 'page-counts' }));
  },
  { name: 'clicks' },
);
