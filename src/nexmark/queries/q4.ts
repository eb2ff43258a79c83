// Nexmark q4, average price per category: the average winning price of the closed auctions of
// each category, updated as each auction closes.
//   SELECT Q.category, AVG(Q.final) FROM (
//     SELECT MAX(B.price) AS final, A.category FROM auction A, bid B
//     WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
//     GROUP BY A.id, A.category) Q
//   GROUP BY Q.category
// The SQL's result is a changelog that reaches its final value per category at the end of input;
// weir emits an update row each time an auction of the category closes (at its expiry), carrying
// how many auctions it averages. AVG of BIGINT is a BIGINT in the SQL: the average is truncated.
import { defineJob } from '../../api/job.ts';
import { auctionsOf, bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import type { CategoryPriceRow } from '../rows.ts';
import { higherPrice, winningBids, type BidTime } from '../winning-bids.ts';

interface Sum {
  total: number;
  auctions: number;
}

export default defineJob(
  (env) => {
    const events = nexmarkInput(env);
    // Only the columns the query uses cross the join's exchange; it outputs only the winning price.
    const auctions = auctionsOf(events).map((a) => ({ id: a.id, dateTime: a.dateTime, expires: a.expires, category: a.category }), { name: 'q4-auction-columns' });
    const bids = bidsOf(events).map((b): BidTime => ({ auction: b.auction, dateTime: b.dateTime, price: b.price }), { name: 'q4-bid-columns' });
    winningBids(auctions, bids, higherPrice)
      .keyBy((w) => w.auction.category, { name: 'q4-by-category' })
      .process<CategoryPriceRow>(
        (w, ctx) => {
          const state = ctx.valueState<Sum>('sum');
          const sum = state.value() ?? { total: 0, auctions: 0 };
          const next = { total: sum.total + w.bid.price, auctions: sum.auctions + 1 };
          state.update(next);
          ctx.emit({ id: ctx.key, final: Math.trunc(next.total / next.auctions), auctions: next.auctions });
        },
        { name: 'q4-average' },
      )
      .sinkTo(nexmarkSink<CategoryPriceRow>(env, 'q4'));
  },
  { name: 'nexmark-q4' },
);
