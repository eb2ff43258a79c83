// q13 by hand: every bid with the side input's value (the table of side input seed 1, the job's default) for its auction id mod 10 000.
import { nexmarkSideInput } from '../../src/connectors/nexmark/side-input.ts';
import type { SideInputBidRow } from '../../src/nexmark/rows.ts';
import type { Baseline } from './baseline.ts';

export const q13: Baseline<SideInputBidRow> = (events, emit) => {
  const table = nexmarkSideInput(1);
  for (const e of events) {
    const b = e.bid;
    if (b === null) continue;
    const value = table.get(b.auction % 10_000);
    if (value !== undefined) emit({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, value });
  }
};
