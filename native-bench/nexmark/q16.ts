// q16 by hand: q15's figures per channel and day, with the latest minute seen; one updated row per bid.
import { dayOf, minuteOf } from '../../src/nexmark/calculations.ts';
import { biddingStatsRow, type ChannelStatsRow } from '../../src/nexmark/rows.ts';
import type { Baseline } from './baseline.ts';
import { countInto, type BiddingGroup } from './q15.ts';

export const q16: Baseline<ChannelStatsRow> = (events, emit) => {
  const groups = new Map<string, BiddingGroup>();
  for (const e of events) {
    const b = e.bid;
    if (b === null) continue;
    const day = dayOf(b.dateTime);
    const counts = countInto(groups, `${b.channel}/${day}`, b);
    emit({ channel: b.channel, minute: minuteOf(counts.latestMs), ...biddingStatsRow(day, counts) });
  }
};
