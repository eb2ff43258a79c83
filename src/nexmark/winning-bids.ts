/**
 * The winning bid of each auction (q4, q6, q9): the best bid, by the query's ranking, whose
 * dateTime lies in [auction.dateTime, auction.expires]. q9 ranks by betterBid: the highest price,
 * ties going to the earliest bid, then the lowest bidder, then the smallest `extra`, so its winner
 * never depends on arrival order. An auction is decided when the watermark passes its expiry: a
 * later bid could not fall inside it without being late.
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
 *
 * The join works on whatever the query keeps of auctions and bids: each query projects them to
 * the columns it uses before they cross the exchange, as a SQL planner pushes projections down
 * (q4 keeps three numbers of a bid, not its url, channel and extra). A query that outputs only the
 * winning price ranks bids by price alone: any of the highest will do.
 */
import { connect } from '../api/joins.ts';
import type { DataStream } from '../api/stream.ts';
import type { Auction, Bid } from '../connectors/nexmark/model.ts';

/** What the join needs of an auction: its id and its time. */
export type AuctionTime = Pick<Auction, 'id' | 'dateTime' | 'expires'>;
/** What the join needs of a bid: its auction, its time, and its price (bids rank by price first). */
export type BidTime = Pick<Bid, 'auction' | 'dateTime' | 'price'>;

export interface WinningBid<A extends AuctionTime = Auction, B extends BidTime = Bid> {
  auction: A;
  bid: B;
}

/**
 * An auction that has come, with its best bid so far: one state, so that a bid costs one look-up
 * (and a write when it is the best), where an auction and its best bid in two states cost three.
 */
interface OpenAuction<A, B> {
  auction: A;
  best: B | undefined;
}

export const orphanBidMsDefault = 60_000;
const orphanCheckMs = 1_000;

/** True when bid a beats bid b, a total order: q9's winner, q19's ranks. */
export function betterBid(a: Pick<Bid, 'price' | 'dateTime' | 'bidder' | 'extra'>, b: Pick<Bid, 'price' | 'dateTime' | 'bidder' | 'extra'>): boolean {
  if (a.price !== b.price) return a.price > b.price;
  if (a.dateTime !== b.dateTime) return a.dateTime < b.dateTime;
  if (a.bidder !== b.bidder) return a.bidder < b.bidder;
  return a.extra < b.extra;
}

/** True when bid a has the higher price: enough for a query that outputs only the winning price. */
export const higherPrice = (a: BidTime, b: BidTime): boolean => a.price > b.price;

export const bidInAuction = (bid: BidTime, auction: AuctionTime) => bid.dateTime >= auction.dateTime && bid.dateTime <= auction.expires;

/** The winner of each auction by `better` (which must not depend on arrival order where the output shows it). */
export function winningBids<A extends AuctionTime, B extends BidTime>(
  auctions: DataStream<A>,
  bids: DataStream<B>,
  better: (a: B, b: B) => boolean,
  orphanMs = orphanBidMsDefault,
): DataStream<WinningBid<A, B>> {
  return connect(auctions, bids)
    .keyBy(
      (a) => a.id,
      (b) => b.auction,
      { name: 'by-auction' },
    )
    .process<WinningBid<A, B>>(
      {
        processElement1(auction, ctx) {
          const open = ctx.valueState<OpenAuction<A, B>>('open');
          if (open.value() !== undefined) return; // ids are unique; a repeat changes nothing
          const early = ctx.listState<B>('early');
          let best: B | undefined;
          for (const bid of early.get()) if (bidInAuction(bid, auction) && (best === undefined || better(bid, best))) best = bid;
          early.clear();
          open.update({ auction, best });
          ctx.timerService.registerEventTimeTimer(auction.expires);
        },
        processElement2(bid, ctx) {
          const open = ctx.valueState<OpenAuction<A, B>>('open');
          const o = open.value();
          if (o === undefined) {
            ctx.listState<B>('early').add(bid);
            ctx.timerService.registerEventTimeTimer(Math.ceil((bid.dateTime + orphanMs) / orphanCheckMs) * orphanCheckMs);
            return;
          }
          if (!bidInAuction(bid, o.auction) || (o.best !== undefined && !better(bid, o.best))) return;
          // Changed in place and put back, as an aggregate's accumulator is: nothing else holds it.
          o.best = bid;
          open.update(o);
        },
        onTimer(timestampMs, ctx) {
          const open = ctx.valueState<OpenAuction<A, B>>('open');
          const o = open.value();
          if (o !== undefined) {
            if (timestampMs < o.auction.expires) return;
            if (o.best !== undefined) ctx.emit({ auction: o.auction, bid: o.best });
            open.clear();
            return;
          }
          const early = ctx.listState<B>('early');
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
