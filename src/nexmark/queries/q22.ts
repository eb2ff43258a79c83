// Nexmark q22, URL directories: each bid with the first three directories of its URL.
//   SELECT auction, bidder, price, channel,
//          SPLIT_INDEX(url, '/', 3) AS dir1, SPLIT_INDEX(url, '/', 4) AS dir2, SPLIT_INDEX(url, '/', 5) AS dir3
//   FROM bid
import { defineJob } from '../../api/job.ts';
import { splitIndex } from '../calculations.ts';
import { bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import type { UrlDirectoriesRow } from '../rows.ts';

export default defineJob(
  (env) => {
    bidsOf(nexmarkInput(env))
      .map(
        (b): UrlDirectoriesRow => ({
          auction: b.auction,
          bidder: b.bidder,
          price: b.price,
          channel: b.channel,
          dir1: splitIndex(b.url, '/', 3),
          dir2: splitIndex(b.url, '/', 4),
          dir3: splitIndex(b.url, '/', 5),
        }),
        { name: 'q22-directories' },
      )
      .sinkTo(nexmarkSink<UrlDirectoriesRow>(env, 'q22'));
  },
  { name: 'nexmark-q22' },
);
