// Nexmark q17, auction statistics report: per auction and day, how many bids in each price band,
// and their minimum, maximum, average and sum, as an unbounded group aggregation.
//   SELECT auction, DATE_FORMAT(dateTime, 'yyyy-MM-dd') AS day, count(*) AS total_bids,
//          count(*) FILTER (WHERE price < 10000) AS rank1_bids,
//          count(*) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_bids,
//          count(*) FILTER (WHERE price >= 1000000) AS rank3_bids,
//          min(price) AS min_price, max(price) AS max_price, avg(price) AS avg_price, sum(price) AS sum_price
//   FROM bid GROUP BY auction, DATE_FORMAT(dateTime, 'yyyy-MM-dd')
// The SQL's result is a changelog with one row per (auction, day), updated by each bid; weir emits
// that row, updated, for every bid (an upsert stream keyed by auction and day). The day is read in
// UTC (the DDL's TIMESTAMP(3) as epoch ms).
import { defineJob } from '../../api/job.ts';
import { dayOf, withBid, type DayStats } from '../calculations.ts';
import { bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import { auctionDayStatsRow, type AuctionDayStatsRow } from '../rows.ts';

interface PricedBid {
  auction: number;
  day: string;
  price: number;
}

export default defineJob(
  (env) => {
    bidsOf(nexmarkInput(env))
      // Only what the statistics read crosses the exchange.
      .map((b): PricedBid => ({ auction: b.auction, day: dayOf(b.dateTime), price: b.price }), { name: 'q17-priced' })
      .keyBy((b) => `${b.auction}/${b.day}`, { name: 'q17-by-auction-day' })
      .process<AuctionDayStatsRow>(
        (b, ctx) => {
          const state = ctx.valueState<DayStats>('stats');
          const s = withBid(state.value(), b.price);
          state.update(s);
          ctx.emit(auctionDayStatsRow(b.auction, b.day, s));
        },
        { name: 'q17-statistics' },
      )
      .sinkTo(nexmarkSink<AuctionDayStatsRow>(env, 'q17'));
  },
  { name: 'nexmark-q17' },
);
