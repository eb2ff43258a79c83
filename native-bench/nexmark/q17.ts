// q17 by hand: per auction and day, the bid statistics so far, one updated row per bid.
import { dayOf, withBid, type DayStats } from '../../src/nexmark/calculations.ts';
import { auctionDayStatsRow, type AuctionDayStatsRow } from '../../src/nexmark/rows.ts';
import type { Baseline } from './baseline.ts';

export const q17: Baseline<AuctionDayStatsRow> = (events, emit) => {
  const stats = new Map<string, DayStats>();
  for (const e of events) {
    const b = e.bid;
    if (b === null) continue;
    const day = dayOf(b.dateTime);
    const key = `${b.auction}/${day}`;
    const s = withBid(stats.get(key), b.price);
    stats.set(key, s);
    emit(auctionDayStatsRow(b.auction, day, s));
  }
};
