// Nexmark q15, bidding statistics report: per day, how many bids, distinct bidders and distinct
// auctions, overall and in each price band.
//   SELECT DATE_FORMAT(dateTime, 'yyyy-MM-dd') AS day, count(*) AS total_bids,
//          count(*) FILTER (WHERE price < 10000) AS rank1_bids, … (rank2: < 1000000, rank3: the rest),
//          count(DISTINCT bidder) AS total_bidders, … FILTERed the same, count(DISTINCT auction) …
//   FROM bid GROUP BY DATE_FORMAT(dateTime, 'yyyy-MM-dd')
// The day is read in UTC. A day's counts are one group, added up on one worker as the SQL's GROUP
// BY does on one task, from counts combined on each worker; the distinct bidders and auctions are
// found before, spread by bidder and by auction. One updated row per day and batch of bids
// (bidding-stats.ts).
import { defineJob } from '../../api/job.ts';
import { biddingCounts } from '../bidding-stats.ts';
import { dayNumberOf, dayOf } from '../calculations.ts';
import { bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import { biddingStatsRow, type BiddingStatsRow } from '../rows.ts';

export default defineJob(
  (env) => {
    biddingCounts(bidsOf(nexmarkInput(env)), (b) => dayOf(b.dateTime), 'q15', (b) => dayNumberOf(b.dateTime))
      .map(({ group, counts }) => biddingStatsRow(group, counts), { name: 'q15-row' })
      .sinkTo(nexmarkSink<BiddingStatsRow>(env, 'q15'));
  },
  { name: 'nexmark-q15' },
);
