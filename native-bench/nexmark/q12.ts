// q12 by hand: bids per bidder per 10 s of wall-clock time; a bidder's window is sent when its next
// bid falls in a later window, and every open one at the end.
import type { BidderCountRow } from '../../src/nexmark/rows.ts';
import type { Baseline } from './baseline.ts';

const sizeMs = 10_000;

export const q12: Baseline<BidderCountRow> = (events, emit) => {
  const open = new Map<number, { starttime: number; count: number }>();
  for (const e of events) {
    const b = e.bid;
    if (b === null) continue;
    const nowMs = performance.timeOrigin + performance.now();
    const starttime = nowMs - (nowMs % sizeMs);
    const w = open.get(b.bidder);
    if (w !== undefined && w.starttime === starttime) {
      w.count++;
      continue;
    }
    if (w !== undefined) emit({ bidder: b.bidder, bid_count: w.count, starttime: w.starttime, endtime: w.starttime + sizeMs });
    open.set(b.bidder, { starttime, count: 1 });
  }
  for (const [bidder, w] of open) emit({ bidder, bid_count: w.count, starttime: w.starttime, endtime: w.starttime + sizeMs });
};
