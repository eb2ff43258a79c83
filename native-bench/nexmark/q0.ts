// q0 by hand: every bid, projected.
import { bidRow, type BidRow } from '../../src/nexmark/rows.ts';
import type { Baseline } from './baseline.ts';

export const q0: Baseline<BidRow> = (events, emit) => {
  for (const e of events) {
    const b = e.bid;
    if (b !== null) emit(bidRow(b));
  }
};
