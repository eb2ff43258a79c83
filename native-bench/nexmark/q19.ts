// q19 by hand: each auction's ten best bids by price, the rows whose bid changed emitted as a bid enters.
import type { Bid } from '../../src/connectors/nexmark/model.ts';
import type { RankedBidRow } from '../../src/nexmark/rows.ts';
import { betterBid } from '../../src/nexmark/winning-bids.ts';
import type { Baseline } from './baseline.ts';

export const q19: Baseline<RankedBidRow> = (events, emit) => {
  const tops = new Map<number, Bid[]>();
  for (const e of events) {
    const b = e.bid;
    if (b === null) continue;
    let top = tops.get(b.auction);
    if (top === undefined) tops.set(b.auction, (top = []));
    let at = top.length;
    while (at > 0 && betterBid(b, top[at - 1])) at--;
    if (at >= 10) continue;
    top.splice(at, 0, b);
    if (top.length > 10) top.pop();
    for (let r = at; r < top.length; r++) emit({ ...top[r], rank_number: r + 1 });
  }
};
