// Nexmark q6, average selling price by seller: per seller, the average closing price of its last
// 10 closed auctions, updated as each of its auctions closes.
//   SELECT Q.seller, AVG(Q.final) OVER (PARTITION BY Q.seller ORDER BY Q.dateTime ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)
//   FROM (SELECT MAX(B.price) AS final, A.seller, B.dateTime FROM auction A, bid B
//         WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
//         GROUP BY A.id, A.seller) Q
// Flink's suite lists it and does not run it: an OVER window over an updating result is not
// supported there. weir follows the query's description and Beam's Nexmark: the last 10 closed
// auctions (the SQL's frame holds 11 rows), in the order they close — by expiry, then id. That
// is the order in which the watermark closes them, so each row is the same whichever worker
// decided which auction. An auction closes with its winning bid (winning-bids.ts); one without a
// bid in time has no price and does not count, as in the SQL's inner join. The average is
// truncated, as AVG of BIGINT; each row names the auction whose close it follows (extra).
import { defineJob } from '../../api/job.ts';
import { auctionsOf, bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import type { SellerPriceRow } from '../rows.ts';
import { higherPrice, winningBids, type BidTime } from '../winning-bids.ts';

/** How many of a seller's last closed auctions each row averages. */
export const q6Auctions = 10;

interface ClosedAuction {
  id: number;
  seller: number;
  expires: number;
  price: number;
}

const closingOrder = (a: ClosedAuction, b: ClosedAuction) => a.expires - b.expires || a.id - b.id;

export default defineJob(
  (env) => {
    const events = nexmarkInput(env);
    // Only the columns the query uses cross the join's exchange; it outputs only the winning price.
    const auctions = auctionsOf(events).map((a) => ({ id: a.id, dateTime: a.dateTime, expires: a.expires, seller: a.seller }), { name: 'q6-auction-columns' });
    const bids = bidsOf(events).map((b): BidTime => ({ auction: b.auction, dateTime: b.dateTime, price: b.price }), { name: 'q6-bid-columns' });
    winningBids(auctions, bids, higherPrice)
      .map((w): ClosedAuction => ({ id: w.auction.id, seller: w.auction.seller, expires: w.auction.expires, price: w.bid.price }), { name: 'q6-closed' })
      .keyBy((c) => c.seller, { name: 'q6-by-seller' })
      .process<SellerPriceRow>(
        {
          // A closed auction comes here once the watermark of the worker that decided it passed
          // its expiry, before that watermark. It waits until this operator's watermark — the
          // least of every worker's — passes its expiry too: then every auction of the seller
          // that closed before it has come, from whichever worker, and they are taken in order.
          processElement(c, ctx) {
            ctx.listState<ClosedAuction>('closed').add(c);
            ctx.timerService.registerEventTimeTimer(c.expires);
          },
          onTimer(timestampMs, ctx) {
            const closed = ctx.listState<ClosedAuction>('closed');
            const waiting = closed.get();
            const due = waiting.filter((c) => c.expires <= timestampMs).sort(closingOrder);
            closed.update(waiting.filter((c) => c.expires > timestampMs));
            const last = ctx.valueState<number[]>('last-prices');
            let prices = last.value() ?? [];
            for (const c of due) {
              prices = [...prices.slice(1 - q6Auctions), c.price];
              let total = 0;
              for (const p of prices) total += p;
              ctx.emit({ seller: ctx.key, avg_price: Math.trunc(total / prices.length), auction: c.id });
            }
            if (due.length > 0) last.update(prices);
          },
        },
        { name: 'q6-average' },
      )
      .sinkTo(nexmarkSink<SellerPriceRow>(env, 'q6'));
  },
  { name: 'nexmark-q6' },
);
