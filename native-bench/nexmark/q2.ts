// q2 by hand: bids on auctions whose id is a multiple of 123.
import type { AuctionPriceRow } from '../../src/nexmark/rows.ts';
import type { Baseline } from './baseline.ts';

export const q2: Baseline<AuctionPriceRow> = (events, emit) => {
  for (const e of events) {
    const b = e.bid;
    if (b !== null && b.auction % 123 === 0) emit({ auction: b.auction, price: b.price });
  }
};
