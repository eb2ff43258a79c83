// Nexmark q17, auction statistics report: per auction and day, how many bids in each price band,
// and their minimum, maximum, average and sum, as an unbounded group aggregation.
//   SELECT auction, DATE_FORMAT(dateTime, 'yyyy-MM-dd') AS day, count(*) AS total_bids,
//          count(*) FILTER (WHERE price < 10000) AS rank1_bids,
//          count(*) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_bids,
//          count(*) FILTER (WHERE price >= 1000000) AS rank3_bids,
//          min(price) AS min_price, max(price) AS max_price, avg(price) AS avg_price, sum(price) AS sum_price
//   FROM bid GROUP BY auction, DATE_FORMAT(dateTime, 'yyyy-MM-dd')
// The SQL's result is a changelog with one row per (auction, day); weir emits that row, updated,
// after each batch of its bids (an upsert stream keyed by auction and day), as Flink runs it in the
// Nexmark suite (mini-batches): each worker combines a batch's bids of one auction and day before
// they cross. The day is read in UTC (the DDL's TIMESTAMP(3) as epoch ms).
import { defineJob } from '../../api/job.ts';
import { dayOf, mergeDayStats, withBid, type DayStats } from '../calculations.ts';
import { bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import { auctionDayStatsRow, type AuctionDayStatsRow } from '../rows.ts';

/** The statistics of some bids of one auction and day: what crosses the exchange. */
interface AuctionDayBids extends DayStats {
  auction: number;
  day: string;
}

export default defineJob(
  (env) => {
    bidsOf(nexmarkInput(env))
      .map((b): AuctionDayBids => ({ auction: b.auction, day: dayOf(b.dateTime), ...withBid(undefined, b.price) }), { name: 'q17-priced' })
      .keyBy((s) => `${s.auction}/${s.day}`, { name: 'q17-by-auction-day', combine: (a, b) => ({ auction: a.auction, day: a.day, ...mergeDayStats(a, b) }) })
      .process<AuctionDayStatsRow>(
        (s, ctx) => {
          const state = ctx.valueState<DayStats>('stats');
          const merged = mergeDayStats(state.value(), s);
          state.update(merged);
          ctx.emit(auctionDayStatsRow(s.auction, s.day, merged));
        },
        { name: 'q17-statistics' },
      )
      .sinkTo(nexmarkSink<AuctionDayStatsRow>(env, 'q17'));
  },
  { name: 'nexmark-q17' },
);
