// q11 by hand: per bidder, sessions of bids no more than 10 s apart ([first, last + 10 s), merged
// when a bid bridges two), counted and sent when the watermark passes a session's end.
import type { BidderCountRow } from '../../src/nexmark/rows.ts';
import type { Baseline } from './baseline.ts';
import { TimeHeap } from '../../src/util/time-heap.ts';

const gapMs = 10_000;

interface Session {
  start: number;
  end: number;
  count: number;
}

export const q11: Baseline<BidderCountRow> = (events, emit, opts) => {
  const sessions = new Map<number, Session[]>(); // bidder → open sessions (disjoint, not touching)
  const ends = new TimeHeap<number>(); // a session's last instant → bidder (stale entries are skipped)
  let maxSeenMs = -Infinity;
  let watermarkMs = -Infinity;
  const fire = (toMs: number) => {
    watermarkMs = toMs;
    while (ends.due(toMs)) {
      const bidder = ends.pop();
      const open = sessions.get(bidder);
      if (open === undefined) continue;
      const kept = open.filter((s) => {
        if (s.end - 1 > toMs) return true;
        emit({ bidder, bid_count: s.count, starttime: s.start, endtime: s.end });
        return false;
      });
      if (kept.length === 0) sessions.delete(bidder);
      else sessions.set(bidder, kept);
    }
  };
  for (const e of events) {
    const b = e.bid;
    const ts = b !== null ? b.dateTime : e.person !== null ? e.person.dateTime : e.auction!.dateTime;
    if (b !== null && ts + gapMs - 1 > watermarkMs) {
      let merged: Session = { start: ts, end: ts + gapMs, count: 1 };
      const open = sessions.get(b.bidder) ?? [];
      const rest: Session[] = [];
      for (const s of open) {
        if (s.start <= merged.end && s.end >= merged.start) merged = { start: Math.min(s.start, merged.start), end: Math.max(s.end, merged.end), count: s.count + merged.count };
        else rest.push(s);
      }
      rest.push(merged);
      sessions.set(b.bidder, rest);
      ends.push(merged.end - 1, b.bidder);
    }
    if (ts > maxSeenMs) {
      maxSeenMs = ts;
      fire(maxSeenMs - opts.watermarkMs - 1);
    }
  }
  fire(Infinity);
};
