// Nexmark q21, add a channel id: each bid with the id of its channel.
//   SELECT auction, bidder, price, channel,
//          CASE WHEN lower(channel) = 'apple' THEN '0' WHEN lower(channel) = 'google' THEN '1'
//               WHEN lower(channel) = 'facebook' THEN '2' WHEN lower(channel) = 'baidu' THEN '3'
//               ELSE REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2) END AS channel_id
//   FROM bid WHERE REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2) IS NOT NULL
//               OR lower(channel) IN ('apple', 'google', 'facebook', 'baidu')
import { defineJob } from '../../api/job.ts';
import { channelId } from '../calculations.ts';
import { bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import type { ChannelIdRow } from '../rows.ts';

export default defineJob(
  (env) => {
    bidsOf(nexmarkInput(env))
      .flatMap<ChannelIdRow>(
        (b, out) => {
          const id = channelId(b.channel, b.url);
          if (id !== null) out.collect({ auction: b.auction, bidder: b.bidder, price: b.price, channel: b.channel, channel_id: id });
        },
        { name: 'q21-channel-id' },
      )
      .sinkTo(nexmarkSink<ChannelIdRow>(env, 'q21'));
  },
  { name: 'nexmark-q21' },
);
