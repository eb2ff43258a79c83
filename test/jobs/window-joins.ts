// Joins on real worker threads: two generated streams of different partition counts, with
// bounded-out-of-orderness watermarks whose bound equals the generators' disorder (no record is
// late at any operator: its watermark is the minimum over all partitions, never ahead of a
// partition's own). A windowed inner join per 1 s tumbling window, an interval join, and
// connect(…).keyBy(…).process(…) enriching transactions with customer profiles.
import { defineJob, WatermarkStrategy } from '../../src/api/index.ts';
import { connect, intervalJoin, join } from '../../src/api/joins.ts';
import { collect, generator, type GeneratedEvent, type GeneratorOptions } from '../../src/connectors/index.ts';
import { TumblingEventTimeWindows } from '../../src/time/index.ts';

export interface Side {
  key: number;
  ts: number;
  id: string;
}

const common = { keys: 40, eventTimeStartMs: 1_700_000_000_000, outOfOrderFraction: 0.2, outOfOrderMaxMs: 150 };
export const leftOptions = (count: number): GeneratorOptions => ({ ...common, partitions: 2, count, seed: 31, eventTimeStepMs: 10 });
export const rightOptions = (count: number): GeneratorOptions => ({ ...common, partitions: 1, count, seed: 32, eventTimeStepMs: 5 });
export const joinWindowMs = 1_000;
export const interval = { lowerMs: -40, upperMs: 80 };

export const profileCustomers = 30; // customers 0…29 have a profile; 30…39 do not
export interface Enriched {
  txn: string;
  customer: number;
  tier: string | null;
}

export default defineJob((env) => {
  const count = env.numberParam('count', 4_000);
  const side = (name: string, opts: GeneratorOptions) =>
    env
      .source(generator(opts), { name, watermarks: WatermarkStrategy.boundedOutOfOrderness<GeneratedEvent>(150).withTimestampAssigner((e) => e.ts) })
      .map((e): Side => ({ key: e.key, ts: e.ts, id: `${name}${e.ts}/${e.seq}` }), { name: `${name}-project` });
  const left = side('L', leftOptions(count));
  const right = side('R', rightOptions(count));

  join(left, right)
    .where((l) => l.key)
    .equalTo((r) => r.key)
    .window(TumblingEventTimeWindows.of(joinWindowMs))
    .apply((l, r) => `${l.id}|${r.id}`)
    .sinkTo(collect('window-join'));

  intervalJoin(
    left.keyBy((l) => l.key),
    right.keyBy((r) => r.key),
  )
    .between(interval.lowerMs, interval.upperMs)
    .process<string>((l, r, ctx) => ctx.emit(`${l.id}|${r.id}`))
    .sinkTo(collect('interval-join'));

  // Enrichment: each transaction waits (in list state) until its customer's profile has arrived;
  // at the end of input (watermark +∞) the ones without a profile go out unenriched.
  const profiles = env.source(generator({ partitions: 1, count: profileCustomers, seed: 3 }), { name: 'profiles' }).map((e) => ({ customer: e.seq, tier: e.value < 500 ? 'gold' : 'basic' }));
  const transactions = env.source(generator({ partitions: 2, count: 600, keys: 40, seed: 4 }), { name: 'transactions' }).map((e) => ({ txn: `t${e.ts}/${e.seq}`, customer: e.key }));
  connect(profiles, transactions)
    .keyBy(
      (p) => p.customer,
      (t) => t.customer,
    )
    .process<Enriched>({
      processElement1(profile, ctx) {
        ctx.valueState<string>('tier').update(profile.tier);
        const waiting = ctx.listState<string>('waiting');
        for (const txn of waiting.get()) ctx.emit({ txn, customer: profile.customer, tier: profile.tier });
        waiting.clear();
      },
      processElement2(t, ctx) {
        const tier = ctx.valueState<string>('tier').value();
        if (tier !== undefined) ctx.emit({ txn: t.txn, customer: t.customer, tier });
        else {
          ctx.listState<string>('waiting').add(t.txn);
          ctx.timerService.registerEventTimeTimer(Number.POSITIVE_INFINITY);
        }
      },
      onTimer(_ts, ctx) {
        const waiting = ctx.listState<string>('waiting');
        for (const txn of waiting.get()) ctx.emit({ txn, customer: ctx.key, tier: null });
        waiting.clear();
      },
    })
    .sinkTo(collect('enriched'));
});
