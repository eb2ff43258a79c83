// q9 by hand: every auction with its winning bid.
import type { WinningBidRow } from '../../src/nexmark/rows.ts';
import type { Baseline } from './baseline.ts';
import { winningBidsByHand } from './winning-bids.ts';

export const q9: Baseline<WinningBidRow> = (events, emit, opts) => {
  winningBidsByHand(events, (a, b) => emit({ ...a, bidder: b.bidder, price: b.price, bid_dateTime: b.dateTime, bid_extra: b.extra }), opts);
};
