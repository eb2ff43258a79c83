// q4 by hand: the running average winning price per category, updated as each auction closes.
import type { CategoryPriceRow } from '../../src/nexmark/rows.ts';
import type { Baseline } from './baseline.ts';
import { winningBidsByHand } from './winning-bids.ts';

export const q4: Baseline<CategoryPriceRow> = (events, emit, opts) => {
  const sums = new Map<number, { total: number; auctions: number }>();
  winningBidsByHand(
    events,
    (auction, bid) => {
      let sum = sums.get(auction.category);
      if (sum === undefined) sums.set(auction.category, (sum = { total: 0, auctions: 0 }));
      sum.total += bid.price;
      sum.auctions++;
      emit({ id: auction.category, final: Math.trunc(sum.total / sum.auctions), auctions: sum.auctions });
    },
    opts,
  );
};
