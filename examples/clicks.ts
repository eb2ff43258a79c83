// The main example: page views from a seeded, skewed generator at a fixed rate (open loop), cleaned,
// keyed by page, counted per page with keyed state; every view's running count is written as
// JSON lines into the run's work dir (page-counts-<worker>.jsonl).
//
// Its output is deterministic — the k-th view of a page is counted k whatever the interleaving of
// partitions — so a benchmark report's output checksum is the same for the same seed in both modes.
//
//   node bin/weir.mjs run examples/clicks.ts                          # continuous, 2 workers
//   node bin/weir.mjs run examples/clicks.ts --mode micro-batch       # the same job, Spark-style
//   node bin/weir.mjs run examples/clicks.ts --param rate=200000 --param seconds=10
//   node bin/weir.mjs bench examples/clicks.ts                        # both modes, measured
//   node bin/weir.mjs bench examples/clicks.ts --kafka-brokers localhost:9092 --kafka-topic clicks
//                                                                     # the same events through Kafka
//
// Parameters: rate (events/s, default 50 000), seconds (default 5), seed (2026), partitions (2).
import { defineJob } from '../src/api/index.ts';
import { fileSink, loadSource } from '../src/connectors/index.ts';

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
    // The seeded generator, or under `weir bench --kafka-*` the same events read from Kafka.
    const views = env.source(
      loadSource(env.params, {
        partitions: env.numberParam('partitions', 2),
        ratePerSec: rate,
        count: Math.round(rate * seconds),
        keys: 500,
        keySkew: 1.1,
        seed: env.numberParam('seed', 2026),
        outOfOrderFraction: 0.05,
      }),
      { name: 'page-views' },
    );
    views
      .map((e): PageView => ({ page: `/page/${e.key}`, user: e.seq % 9973, dwellMs: Math.round(e.value * 30), ts: e.ts }), { name: 'to-page-view' })
      .filter((v) => v.dwellMs >= 500, { name: 'engaged-only' })
      .keyBy((v) => v.page, { name: 'by-page' })
      .process<{ page: string; views: number }>(
        (v, ctx) => {
          const views = ctx.valueState<number>('views');
          const count = (views.value() ?? 0) + 1;
          views.update(count);
          ctx.emit({ page: ctx.key, views: count });
        },
        { name: 'count-per-page' },
      )
      .sinkTo(fileSink({ path: 'page-counts.jsonl', name: 'page-counts' }));
  },
  { name: 'clicks' },
);
