// Nexmark q1, currency conversion: every bid with its price in euros.
//   SELECT auction, bidder, 0.908 * price AS price, dateTime, extra FROM bid
// The SQL's price is DECIMAL(23, 3): price × 908 is an exact integer (prices are below 2^53 / 908),
// and dividing it by 1000 gives the double nearest to that decimal.
import { defineJob } from '../../api/job.ts';
import { bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import type { BidRow } from '../rows.ts';

export const toEuros = (dollars: number) => (dollars * 908) / 1000;

export default defineJob(
  (env) => {
    bidsOf(nexmarkInput(env))
      .map((b): BidRow => ({ auction: b.auction, bidder: b.bidder, price: toEuros(b.price), dateTime: b.dateTime, extra: b.extra }), { name: 'q1-euros' })
      .sinkTo(nexmarkSink<BidRow>(env, 'q1'));
  },
  { name: 'nexmark-q1' },
);
