// q20 by hand: every bid of an auction of category 10, with the auction, whichever came first.
import type { Auction, Bid } from '../../src/connectors/nexmark/model.ts';
import { bidAuctionRow, type BidAuctionRow } from '../../src/nexmark/rows.ts';
import type { Baseline } from './baseline.ts';

export const q20: Baseline<BidAuctionRow> = (events, emit) => {
  const auctions = new Map<number, Auction | null>(); // null: of another category
  const waiting = new Map<number, Bid[]>();
  for (const e of events) {
    const a = e.auction;
    if (a !== null) {
      auctions.set(a.id, a.category === 10 ? a : null);
      const bids = waiting.get(a.id);
      if (bids !== undefined) {
        if (a.category === 10) for (const b of bids) emit(bidAuctionRow(b, a));
        waiting.delete(a.id);
      }
      continue;
    }
    const b = e.bid;
    if (b === null) continue;
    const auction = auctions.get(b.auction);
    if (auction) emit(bidAuctionRow(b, auction));
    else if (auction === undefined) {
      const bids = waiting.get(b.auction);
      if (bids === undefined) waiting.set(b.auction, [b]);
      else bids.push(b);
    }
  }
};
