// q1 by hand: every bid with its price in euros (× 0.908, exact to the thousandth).
import type { BidRow } from '../../src/nexmark/rows.ts';
import type { Baseline } from './baseline.ts';

export const q1: Baseline<BidRow> = (events, emit) => {
  for (const e of events) {
    const b = e.bid;
    if (b !== null) emit({ auction: b.auction, bidder: b.bidder, price: (b.price * 908) / 1000, dateTime: b.dateTime, extra: b.extra });
  }
};
