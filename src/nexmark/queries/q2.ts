// Nexmark q2, selection: the bids on every 123rd auction.
//   SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0
import { defineJob } from '../../api/job.ts';
import { bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import type { AuctionPriceRow } from '../rows.ts';

export default defineJob(
  (env) => {
    bidsOf(nexmarkInput(env))
      .filter((b) => b.auction % 123 === 0, { name: 'q2-select' })
      .map((b): AuctionPriceRow => ({ auction: b.auction, price: b.price }), { name: 'q2-project' })
      .sinkTo(nexmarkSink<AuctionPriceRow>(env, 'q2'));
  },
  { name: 'nexmark-q2' },
);
