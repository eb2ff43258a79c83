// The winning bid of each auction, by hand (q4, q9): open auctions in a Map, closed by a timer heap
// when the watermark passes their expiry; bids that come before their auction wait in another Map
// until it arrives or the watermark passes their dateTime + 60 s.
import type { Auction, Bid, NexmarkEvent } from '../../src/connectors/nexmark/model.ts';
import type { BaselineOptions } from './baseline.ts';
import { TimeHeap } from '../../src/util/time-heap.ts';

const orphanMs = 60_000;

function beats(a: Bid, b: Bid): boolean {
  if (a.price !== b.price) return a.price > b.price;
  if (a.dateTime !== b.dateTime) return a.dateTime < b.dateTime;
  if (a.bidder !== b.bidder) return a.bidder < b.bidder;
  return a.extra < b.extra;
}

interface Open {
  auction: Auction;
  best: Bid | undefined;
}

export function winningBidsByHand(events: Iterable<NexmarkEvent>, emit: (auction: Auction, bid: Bid) => void, opts: BaselineOptions): void {
  const open = new Map<number, Open>();
  const early = new Map<number, Bid[]>();
  const closing = new TimeHeap<number>((a, b) => a < b); // expires → auction id; auctions close by expiry, then id
  const orphans = new TimeHeap<number>(); // bid dateTime + orphanMs → auction id
  let maxSeenMs = -Infinity;
  let watermarkMs = -Infinity;

  const advance = (toMs: number) => {
    watermarkMs = toMs;
    while (closing.due(toMs)) {
      const id = closing.pop();
      const o = open.get(id)!;
      if (o.best !== undefined) emit(o.auction, o.best);
      open.delete(id);
    }
    while (orphans.due(toMs)) {
      const id = orphans.pop();
      const waiting = early.get(id);
      if (waiting === undefined) continue;
      const kept = waiting.filter((b) => b.dateTime + orphanMs > toMs);
      if (kept.length === 0) early.delete(id);
      else early.set(id, kept);
    }
  };

  for (const e of events) {
    const a = e.auction;
    const b = e.bid;
    const ts = a !== null ? a.dateTime : b !== null ? b.dateTime : e.person!.dateTime;
    if (a !== null && !open.has(a.id)) {
      let best: Bid | undefined;
      const waiting = early.get(a.id);
      if (waiting !== undefined) {
        for (const w of waiting) if (w.dateTime >= a.dateTime && w.dateTime <= a.expires && (best === undefined || beats(w, best))) best = w;
        early.delete(a.id);
      }
      open.set(a.id, { auction: a, best });
      closing.push(a.expires, a.id);
    } else if (b !== null) {
      const o = open.get(b.auction);
      if (o === undefined) {
        const waiting = early.get(b.auction);
        if (waiting === undefined) early.set(b.auction, [b]);
        else waiting.push(b);
        orphans.push(b.dateTime + orphanMs, b.auction);
      } else if (b.dateTime >= o.auction.dateTime && b.dateTime <= o.auction.expires && (o.best === undefined || beats(b, o.best))) {
        o.best = b;
      }
    }
    if (ts > maxSeenMs) {
      maxSeenMs = ts;
      advance(maxSeenMs - opts.watermarkMs - 1);
    }
  }
  advance(Infinity);
}
