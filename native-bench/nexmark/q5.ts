// q5 by hand: bid counts per auction in sliding windows (10 s every 2 s); when the watermark passes
// a window's end, the auctions with the largest count.
import type { HotItemRow } from '../../src/nexmark/rows.ts';
import type { Baseline } from './baseline.ts';

const sizeMs = 10_000;
const slideMs = 2_000;

export const q5: Baseline<HotItemRow> = (events, emit, opts) => {
  const windows = new Map<number, Map<number, number>>(); // start → auction → bids
  let nextToFire = Infinity; // the earliest open window's start
  let maxSeenMs = -Infinity;
  let watermarkMs = -Infinity;

  const fire = (toMs: number) => {
    watermarkMs = toMs;
    while (nextToFire !== Infinity && nextToFire + sizeMs - 1 <= toMs) {
      const counts = windows.get(nextToFire);
      if (counts !== undefined) {
        let max = 0;
        for (const n of counts.values()) if (n > max) max = n;
        for (const [auction, num] of counts) if (num === max) emit({ auction, num, starttime: nextToFire, endtime: nextToFire + sizeMs });
        windows.delete(nextToFire);
      }
      nextToFire = windows.size === 0 ? Infinity : nextToFire + slideMs;
    }
  };

  for (const e of events) {
    const b = e.bid;
    const ts = b !== null ? b.dateTime : e.person !== null ? e.person.dateTime : e.auction!.dateTime;
    if (b !== null) {
      const last = ts - (((ts % slideMs) + slideMs) % slideMs);
      for (let start = last; start > ts - sizeMs; start -= slideMs) {
        if (start + sizeMs - 1 <= watermarkMs) break; // this window and older ones have fired: late for them
        let counts = windows.get(start);
        if (counts === undefined) windows.set(start, (counts = new Map()));
        counts.set(b.auction, (counts.get(b.auction) ?? 0) + 1);
        if (start < nextToFire) nextToFire = start;
      }
    }
    if (ts > maxSeenMs) {
      maxSeenMs = ts;
      fire(maxSeenMs - opts.watermarkMs - 1);
    }
  }
  fire(Infinity);
};
