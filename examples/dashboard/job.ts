// The live dashboard's job: click and purchase events (events.ts) → three live figures, written as
// upserts `{ key, value }` (the latest value of a key is the figure):
//
//   active-users/<start>  distinct users per 10 s tumbling window: one record per user and window
//                         where the user lives, then a parallel non-keyed window counts them
//   top-products          the 5 most clicked-or-bought products of the last 5 minutes, every 10 s
//                         (counted per product in 10 s panes, summed in sliding windows, topK:
//                         ranked per worker, merged once)
//   revenue/<day>         the day's running revenue and purchases, after every purchase
//
// Sink (param `sink`): 'file' (default: dashboard.jsonl in the work dir, one upsert a line — so
// `weir run` and `weir bench` work), 'results' (resultsSink 'dashboard', read by the embedding
// service, server.ts), or 'kafka' (kafkaUpsertSink on topic `topic`, default 'dashboard', of
// brokers `brokers`, comma-separated: the key is the record key, the value the figure's JSON).
//
//   node bin/weir.mjs run examples/dashboard/job.ts --work-dir weir-out
//   node bin/weir.mjs bench examples/dashboard/job.ts
//   node bin/run-ts.mjs examples/dashboard/server.ts          # the live page, http://127.0.0.1:8080/
//
// Parameters: rate (events/s, default 20 000), seconds (default 10; or count), seed (2026).
import { defineJob, WatermarkStrategy } from '../../src/api/index.ts';
import { fileSink, kafkaUpsertSink, loadSource, resultsSink, type GeneratedEvent } from '../../src/connectors/index.ts';
import type { SinkSpec } from '../../src/connectors/types.ts';
import { SlidingEventTimeWindows, TumblingEventTimeWindows } from '../../src/time/index.ts';
import { dayMs, outOfOrderMs, shopEvent, shopGeneratorOptions, type ShopEvent } from './events.ts';

export const activeUsersWindowMs = 10_000;
export const topProducts = { k: 5, sizeMs: 5 * 60_000, slideMs: 10_000 };

export type DashboardUpsert =
  | { key: `active-users/${number}`; value: { start: number; end: number; users: number } }
  | { key: 'top-products'; value: { start: number; end: number; ranking: Array<{ rank: number; key: string; value: number }> } }
  | { key: `revenue/${number}`; value: { day: number; revenue: number; purchases: number } };

const counting = {
  createAccumulator: () => 0,
  add: (_e: unknown, n: number) => n + 1,
  getResult: (n: number) => n,
  merge: (a: number, b: number) => a + b,
};

const summing = {
  createAccumulator: () => 0,
  add: (pane: { n: number }, n: number) => n + pane.n,
  getResult: (n: number) => n,
  merge: (a: number, b: number) => a + b,
};

function dashboardSink(params: Readonly<Record<string, string>>): SinkSpec<DashboardUpsert> {
  const sink = params.sink ?? 'file';
  if (sink === 'results') return resultsSink<DashboardUpsert>('dashboard');
  if (sink === 'kafka') {
    if (params.brokers === undefined) throw new Error("dashboard: sink 'kafka' needs the param brokers (host:port,…)");
    return kafkaUpsertSink<DashboardUpsert>({ brokers: params.brokers.split(','), topic: params.topic ?? 'dashboard', key: (u) => u.key, upsertValue: (u) => u.value, name: 'dashboard' });
  }
  if (sink === 'file') return fileSink<DashboardUpsert>({ path: 'dashboard.jsonl', name: 'dashboard' });
  throw new Error(`dashboard: sink must be 'file', 'results' or 'kafka', not ${sink}`);
}

export default defineJob(
  (env) => {
    const rate = env.numberParam('rate', 20_000);
    const count = env.params.count === undefined ? Math.round(rate * env.numberParam('seconds', 10)) : env.numberParam('count', 0);
    const events = env
      .source(loadSource(env.params, shopGeneratorOptions({ count, ratePerSec: rate, seed: env.numberParam('seed', 2026) })), {
        name: 'shop-events',
        watermarks: WatermarkStrategy.boundedOutOfOrderness<GeneratedEvent>(outOfOrderMs).withTimestampAssigner((e) => e.ts),
      })
      .map(shopEvent, { name: 'to-shop-event' });

    const activeUsers = events
      .keyBy((e) => e.user, { name: 'by-user' })
      .window(TumblingEventTimeWindows.of(activeUsersWindowMs))
      .reduce((first: ShopEvent) => first, undefined, { name: 'user-active-in-window' })
      .windowAll(TumblingEventTimeWindows.of(activeUsersWindowMs))
      .aggregate(counting, (window, [users], out) => out.collect({ key: `active-users/${window.start}` as const, value: { start: window.start, end: window.end, users } }), { name: 'active-users' });

    // Counted per product in 10 s panes first, then the panes summed in the 5-minute sliding
    // windows: a record updates one pane instead of 30 overlapping windows (each sliding window is
    // exactly the 30 panes it covers, so the counts are the same).
    const top = events
      .keyBy((e) => e.product, { name: 'by-product' })
      .window(TumblingEventTimeWindows.of(topProducts.slideMs))
      .aggregate<number, number, { product: string; n: number }>(counting, (product, _window, [n], out) => out.collect({ product, n }), { name: 'product-panes' })
      .keyBy((pane) => pane.product, { name: 'panes-by-product' })
      .window(SlidingEventTimeWindows.of(topProducts.sizeMs, topProducts.slideMs))
      .topK(topProducts.k, summing, undefined, { name: 'top-products' })
      .map((r): DashboardUpsert => ({ key: 'top-products', value: { start: r.start, end: r.end, ranking: r.ranking } }), { name: 'top-products-upsert' });

    const revenue = events
      .filter((e) => e.kind === 'purchase', { name: 'purchases' })
      .keyBy((e) => Math.floor(e.ts / dayMs), { name: 'by-day' })
      .process<DashboardUpsert>(
        (e, ctx) => {
          const total = ctx.valueState<{ revenue: number; purchases: number }>('revenue');
          const next = { revenue: (total.value()?.revenue ?? 0) + e.price, purchases: (total.value()?.purchases ?? 0) + 1 };
          total.update(next);
          ctx.emit({ key: `revenue/${ctx.key}`, value: { day: ctx.key, ...next } });
        },
        { name: 'revenue-of-the-day' },
      );

    activeUsers.union(top, revenue).sinkTo(dashboardSink(env.params));
  },
  { name: 'dashboard' },
);
