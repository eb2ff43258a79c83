// q6 by hand: per seller, the average closing price of its last 10 closed auctions, after each close.
import type { SellerPriceRow } from '../../src/nexmark/rows.ts';
import type { Baseline } from './baseline.ts';
import { winningBidsByHand } from './winning-bids.ts';

export const q6: Baseline<SellerPriceRow> = (events, emit, opts) => {
  const last = new Map<number, number[]>(); // seller → its last 10 closing prices, oldest first
  winningBidsByHand(
    events,
    (auction, bid) => {
      let prices = last.get(auction.seller);
      if (prices === undefined) last.set(auction.seller, (prices = []));
      if (prices.length === 10) prices.shift();
      prices.push(bid.price);
      let total = 0;
      for (const p of prices) total += p;
      emit({ seller: auction.seller, avg_price: Math.trunc(total / prices.length), auction: auction.id });
    },
    opts,
  );
};
