// q14 by hand: the bids in the price range, with their price in euros, time of day and 'c' count.
import { bidTimeType, countChar } from '../../src/nexmark/calculations.ts';
import type { BidCalculationRow } from '../../src/nexmark/rows.ts';
import type { Baseline } from './baseline.ts';

export const q14: Baseline<BidCalculationRow> = (events, emit) => {
  for (const e of events) {
    const b = e.bid;
    if (b === null) continue;
    const price = (b.price * 908) / 1000;
    if (price <= 1_000_000 || price >= 50_000_000) continue;
    emit({ auction: b.auction, bidder: b.bidder, price, bidTimeType: bidTimeType(b.dateTime), dateTime: b.dateTime, extra: b.extra, c_counts: countChar(b.extra, 'c') });
  }
};
