// Nexmark q16, channel statistics report: q15's figures per channel and day, with the latest
// minute of the day a bid of the group was made in.
//   SELECT channel, DATE_FORMAT(dateTime, 'yyyy-MM-dd') AS day, max(DATE_FORMAT(dateTime, 'HH:mm')) AS minute,
//          count(*) AS total_bids, … (as q15)
//   FROM bid GROUP BY channel, DATE_FORMAT(dateTime, 'yyyy-MM-dd')
// Times are read in UTC (bidding-stats.ts).
import { defineJob } from '../../api/job.ts';
import { biddingCounts } from '../bidding-stats.ts';
import { dayOf, minuteOf } from '../calculations.ts';
import { bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import { biddingStatsRow, type ChannelStatsRow } from '../rows.ts';

export default defineJob(
  (env) => {
    biddingCounts(bidsOf(nexmarkInput(env)), (b) => `${b.channel}/${dayOf(b.dateTime)}`, 'q16')
      .keyBy(({ bid }) => bid.group, { name: 'q16-by-channel-day' })
      .process<ChannelStatsRow>(
        ({ bid, counts }, ctx) => {
          // The counts' step and this one share the key, so the latest minute could live there;
          // kept apart, the counts' step is q15's unchanged.
          const latest = ctx.valueState<string>('minute');
          const minute = minuteOf(bid.dateTime);
          const sofar = latest.value();
          const max = sofar !== undefined && sofar > minute ? sofar : minute;
          if (max !== sofar) latest.update(max);
          ctx.emit({ channel: bid.channel, minute: max, ...biddingStatsRow(dayOf(bid.dateTime), counts) });
        },
        { name: 'q16-latest-minute' },
      )
      .sinkTo(nexmarkSink<ChannelStatsRow>(env, 'q16'));
  },
  { name: 'nexmark-q16' },
);
