/**
 * The winning bid of each auction (q4, q9): the highest bid whose dateTime lies in
 * [auction.dateTime, auction.expires], ties going to the earliest bid (then the lowest bidder, then
 * the smallest `extra`, so the choice never depends on arrival order). An auction is decided when
 * the watermark passes its expiry: a later bid could not fall inside it without being late.
 *
 * Auctions and bids meet per auction id (connect + keyBy). A bid may arrive before its auction
 * (the generator lets bids name up to 10 auctions not created yet): it waits in list state until
 * the auction comes, or until the watermark passes its dateTime + orphanMs, when it is dropped —
 * by then its auction either closed long ago (and the bid, arriving after the close without being
 * late, lay outside it) or will never come. orphanMs must exceed the event time between a bid and
 * an auction created up to 10 auctions later (under 1 s at the suite's rates): the default is 60 s.
 * The waiting bids of an auction are looked at on whole seconds (orphanCheckMs): a hot auction's
 * bids that wait in the same second share one timer, where a timer per bid made the timer heap
 * as large as the waiting bids.
 */
import { connect } from '../api/joins.ts';
import type { DataStream } from '../api/stream.ts';
import type { Auction, Bid } from '../connectors/nexmark/model.ts';

export interface WinningBid {
  auction: Auction;
  bid: Bid;
}

export const orphanBidMsDefault = 60_000;
const orphanCheckMs = 1_000;

/** True when bid a beats bid b. */
export function betterBid(a: Bid, b: Bid): boolean {
  if (a.price !== b.price) return a.price > b.price;
  if (a.dateTime !== b.dateTime) return a.dateTime < b.dateTime;
  if (a.bidder !== b.bidder) return a.bidder < b.bidder;
  return a.extra < b.extra;
}

export const bidInAuction = (bid: Bid, auction: Auction) => bid.dateTime >= auction.dateTime && bid.dateTime <= auction.expires;

export function winningBids(auctions: DataStream<Auction>, bids: DataStream<Bid>, orphanMs = orphanBidMsDefault): DataStream<WinningBid> {
  return connect(auctions, bids)
    .keyBy(
      (a) => a.id,
      (b) => b.auction,
      { name: 'by-auction' },
    )
    .process<WinningBid>(
      {
        processElement1(auction, ctx) {
          const stored = ctx.valueState<Auction>('auction');
          if (stored.value() !== undefined) return; // ids are unique; a repeat changes nothing
          stored.update(auction);
          const early = ctx.listState<Bid>('early');
          let best: Bid | undefined;
          for (const bid of early.get()) if (bidInAuction(bid, auction) && (best === undefined || betterBid(bid, best))) best = bid;
          early.clear();
          if (best !== undefined) ctx.valueState<Bid>('best').update(best);
          ctx.timerService.registerEventTimeTimer(auction.expires);
        },
        processElement2(bid, ctx) {
          const auction = ctx.valueState<Auction>('auction').value();
          if (auction === undefined) {
            ctx.listState<Bid>('early').add(bid);
            ctx.timerService.registerEventTimeTimer(Math.ceil((bid.dateTime + orphanMs) / orphanCheckMs) * orphanCheckMs);
            return;
          }
          if (!bidInAuction(bid, auction)) return;
          const best = ctx.valueState<Bid>('best');
          const current = best.value();
          if (current === undefined || betterBid(bid, current)) best.update(bid);
        },
        onTimer(timestampMs, ctx) {
          const stored = ctx.valueState<Auction>('auction');
          const auction = stored.value();
          if (auction !== undefined) {
            if (timestampMs < auction.expires) return;
            const best = ctx.valueState<Bid>('best');
            const bid = best.value();
            if (bid !== undefined) ctx.emit({ auction, bid });
            stored.clear();
            best.clear();
            return;
          }
          const early = ctx.listState<Bid>('early');
          const waiting = early.get();
          const kept = waiting.filter((bid) => bid.dateTime + orphanMs > timestampMs);
          if (kept.length === waiting.length) return;
          if (kept.length === 0) early.clear();
          else early.update(kept);
        },
      },
      { name: 'winning-bids' },
    );
}
