// Nexmark q20, expand bid with auction: every bid of an auction of category 10, with the auction.
//   SELECT auction, bidder, price, channel, url, B.dateTime, B.extra, itemName, description,
//          initialBid, reserve, A.dateTime, expires, seller, category, A.extra
//   FROM bid AS B INNER JOIN auction AS A ON B.auction = A.id WHERE A.category = 10
// A regular (unwindowed) join, as in the SQL: auctions and bids meet per auction id, each pair
// emitted once whichever side came first. An auction of category 10 is kept for its bids to come;
// of any other category only the fact (`false` in its place), so that its bids, nine in ten, are
// dropped as they come, after one state read, instead of being kept waiting. A bid whose auction
// has not come yet waits for it in list state (the generator
// lets bids name up to 10 auctions not made yet). As the SQL's join, its state grows with the
// auctions seen.
import { defineJob } from '../../api/job.ts';
import { connect } from '../../api/joins.ts';
import type { Auction, Bid } from '../../connectors/nexmark/model.ts';
import { auctionsOf, bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import { bidAuctionRow, type BidAuctionRow } from '../rows.ts';

export const q20Category = 10;

export default defineJob(
  (env) => {
    const events = nexmarkInput(env);
    connect(auctionsOf(events), bidsOf(events))
      .keyBy(
        (a) => a.id,
        (b) => b.auction,
        { name: 'q20-by-auction' },
      )
      .process<BidAuctionRow>(
        {
          processElement1(a, ctx) {
            const waiting = ctx.listState<Bid>('bids');
            const ofCategory = a.category === q20Category;
            ctx.valueState<Auction | false>('auction').update(ofCategory ? a : false);
            if (ofCategory) for (const b of waiting.get()) ctx.emit(bidAuctionRow(b, a));
            waiting.clear();
          },
          processElement2(b, ctx) {
            const auction = ctx.valueState<Auction | false>('auction').value();
            if (auction === undefined) ctx.listState<Bid>('bids').add(b);
            else if (auction !== false) ctx.emit(bidAuctionRow(b, auction));
          },
        },
        { name: 'q20-join' },
      )
      .sinkTo(nexmarkSink<BidAuctionRow>(env, 'q20'));
  },
  { name: 'nexmark-q20' },
);
