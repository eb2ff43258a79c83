// Nexmark q16, channel statistics report: q15's figures per channel and day, with the latest
// minute of the day a bid of the group was made in.
//   SELECT channel, DATE_FORMAT(dateTime, 'yyyy-MM-dd') AS day, max(DATE_FORMAT(dateTime, 'HH:mm')) AS minute,
//          count(*) AS total_bids, … (as q15)
//   FROM bid GROUP BY channel, DATE_FORMAT(dateTime, 'yyyy-MM-dd')
// Times are read in UTC (bidding-stats.ts). Within one day the latest 'HH:mm' is that of the
// group's latest bid, which its counts keep.
import { defineJob } from '../../api/job.ts';
import { biddingCounts } from '../bidding-stats.ts';
import { dayOf, minuteOf } from '../calculations.ts';
import { bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import { biddingStatsRow, type ChannelStatsRow } from '../rows.ts';

export default defineJob(
  (env) => {
    biddingCounts(bidsOf(nexmarkInput(env)), (b) => `${b.channel}/${dayOf(b.dateTime)}`, 'q16', false)
      .map(({ group, counts }): ChannelStatsRow => {
        const day = group.lastIndexOf('/'); // after the channel, which may hold a '/'
        return { channel: group.slice(0, day), minute: minuteOf(counts.latestMs), ...biddingStatsRow(group.slice(day + 1), counts) };
      }, { name: 'q16-row' })
      .sinkTo(nexmarkSink<ChannelStatsRow>(env, 'q16'));
  },
  { name: 'nexmark-q16' },
);
