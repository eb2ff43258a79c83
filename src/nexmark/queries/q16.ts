// Nexmark q16, channel statistics report: q15's figures per channel and day, with the latest
// minute of the day a bid of the group was made in.
//   SELECT channel, DATE_FORMAT(dateTime, 'yyyy-MM-dd') AS day, max(DATE_FORMAT(dateTime, 'HH:mm')) AS minute,
//          count(*) AS total_bids, … (as q15)
//   FROM bid GROUP BY channel, DATE_FORMAT(dateTime, 'yyyy-MM-dd')
// Times are read in UTC. Within one day the latest 'HH:mm' is that of the group's latest bid, which
// its counts keep. The SQL's result is a changelog with one row per group; weir emits the group's
// updated row after each of its bids (an upsert stream keyed by channel and day).
//
// Unlike q15 (bidding-stats.ts), the group's distinct bidders and auctions are kept where the group
// is, in map state (bidder → the price bands it bid in), as the plain program keeps them: each bid
// crosses one exchange, keyed by its group. Split as q15 is — keyed by (group, bidder) and by
// (group, auction), then by group — every bid crossed twice more, without combining (most of
// q16's ~10 000 groups are rare channels, which a batch seldom repeats): measured 5.0–5.8 s a run
// on heap and 7.6 s on LMDB, against 3.9–4.2 s and 4.2 s this way. The cost is skew: a hot
// channel's bids all go to one worker (the suite's four hot channels hold half the bids, and three
// of them key to one of two workers: 575 K bids against 345 K).
import { defineJob } from '../../api/job.ts';
import { countBid, dayOf, emptyBiddingCounts, minuteOf, type BiddingCounts } from '../calculations.ts';
import { bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import { biddingStatsRow, type ChannelStatsRow } from '../rows.ts';

/** What the group's counts need of a bid: its group and what it counts by. */
interface GroupBid {
  channel: string;
  day: string;
  bidder: number;
  auction: number;
  price: number;
  dateTime: number;
}

export default defineJob(
  (env) => {
    bidsOf(nexmarkInput(env))
      .map((b): GroupBid => ({ channel: b.channel, day: dayOf(b.dateTime), bidder: b.bidder, auction: b.auction, price: b.price, dateTime: b.dateTime }), { name: 'q16-group' })
      .keyBy((g) => `${g.channel}/${g.day}`, { name: 'q16-by-channel-day' })
      .process<ChannelStatsRow>(
        (g, ctx) => {
          const state = ctx.valueState<BiddingCounts>('counts');
          const counts = state.value() ?? emptyBiddingCounts();
          const bidders = ctx.mapState<number, number>('bidder-bands');
          const auctions = ctx.mapState<number, number>('auction-bands');
          const seen = countBid(counts, g, bidders.get(g.bidder) ?? 0, auctions.get(g.auction) ?? 0);
          bidders.put(g.bidder, seen.bidderBands);
          auctions.put(g.auction, seen.auctionBands);
          state.update(counts);
          ctx.emit({ channel: g.channel, minute: minuteOf(counts.latestMs), ...biddingStatsRow(g.day, counts) });
        },
        { name: 'q16-counts' },
      )
      .sinkTo(nexmarkSink<ChannelStatsRow>(env, 'q16'));
  },
  { name: 'nexmark-q16' },
);
