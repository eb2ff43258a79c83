// q15 by hand: per day, bids, distinct bidders and distinct auctions, overall and per price band; one updated row per bid.
import { countBid, dayOf, emptyBiddingCounts, type BiddingCounts } from '../../src/nexmark/calculations.ts';
import { biddingStatsRow, type BiddingStatsRow } from '../../src/nexmark/rows.ts';
import type { Bid } from '../../src/connectors/nexmark/model.ts';
import type { Baseline } from './baseline.ts';

export interface BiddingGroup {
  counts: BiddingCounts;
  bidderBands: Map<number, number>;
  auctionBands: Map<number, number>;
}

/** Counts bid `b` into `groups` under `key`; returns the group's figures. */
export function countInto(groups: Map<string, BiddingGroup>, key: string, b: Bid): BiddingCounts {
  let g = groups.get(key);
  if (g === undefined) groups.set(key, (g = { counts: emptyBiddingCounts(), bidderBands: new Map(), auctionBands: new Map() }));
  const seen = countBid(g.counts, b, g.bidderBands.get(b.bidder) ?? 0, g.auctionBands.get(b.auction) ?? 0);
  g.bidderBands.set(b.bidder, seen.bidderBands);
  g.auctionBands.set(b.auction, seen.auctionBands);
  return g.counts;
}

export const q15: Baseline<BiddingStatsRow> = (events, emit) => {
  const groups = new Map<string, BiddingGroup>();
  for (const e of events) {
    const b = e.bid;
    if (b === null) continue;
    const day = dayOf(b.dateTime);
    emit(biddingStatsRow(day, countInto(groups, day, b)));
  }
};
