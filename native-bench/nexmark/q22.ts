// q22 by hand: every bid with the first three directories of its URL.
import { splitIndex } from '../../src/nexmark/calculations.ts';
import type { UrlDirectoriesRow } from '../../src/nexmark/rows.ts';
import type { Baseline } from './baseline.ts';

export const q22: Baseline<UrlDirectoriesRow> = (events, emit) => {
  for (const e of events) {
    const b = e.bid;
    if (b === null) continue;
    emit({ auction: b.auction, bidder: b.bidder, price: b.price, channel: b.channel, dir1: splitIndex(b.url, '/', 3), dir2: splitIndex(b.url, '/', 4), dir3: splitIndex(b.url, '/', 5) });
  }
};
