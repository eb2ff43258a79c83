// Nexmark q9, winning bids: every auction with its highest bid placed while it was open.
//   SELECT A.*, B.auction, B.bidder, B.price, B.dateTime AS bid_dateTime, B.extra AS bid_extra
//   FROM (SELECT A.*, B.*, ROW_NUMBER() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.dateTime ASC) AS rownum
//         FROM auction A, bid B WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires)
//   WHERE rownum <= 1
// The SQL's top-1 is a changelog whose final row per auction is the winner; weir decides each
// auction once, when the watermark passes its expiry (src/nexmark/winning-bids.ts). Ties of price
// and time go to the lowest bidder, then the smallest extra, so the winner is always the same row.
import { defineJob } from '../../api/job.ts';
import { auctionsOf, bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import type { WinningBidRow } from '../rows.ts';
import { betterBid, winningBids } from '../winning-bids.ts';

export default defineJob(
  (env) => {
    const events = nexmarkInput(env);
    // The bid columns the row uses cross the join's exchange, not the url and channel.
    const bids = bidsOf(events).map((b) => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra }), { name: 'q9-bid-columns' });
    winningBids(auctionsOf(events), bids, betterBid)
      .map((w): WinningBidRow => ({ ...w.auction, bidder: w.bid.bidder, price: w.bid.price, bid_dateTime: w.bid.dateTime, bid_extra: w.bid.extra }), { name: 'q9-row' })
      .sinkTo(nexmarkSink<WinningBidRow>(env, 'q9'));
  },
  { name: 'nexmark-q9' },
);
