// q7 by hand: per 10 s tumbling window the highest price, and the bids at it from [start, end]
// (a bid exactly at the end also matches), sent when the watermark passes the end.
import type { Bid } from '../../src/connectors/nexmark/model.ts';
import { bidRow, type BidRow } from '../../src/nexmark/rows.ts';
import type { Baseline } from './baseline.ts';
import { TimeHeap } from '../../src/util/time-heap.ts';

const sizeMs = 10_000;

interface Highest {
  price: number;
  bids: Bid[];
  edge: Bid[];
}

export const q7: Baseline<BidRow> = (events, emit, opts) => {
  const windows = new Map<number, Highest>();
  const ends = new TimeHeap<number>();
  let maxSeenMs = -Infinity;
  const windowOf = (start: number) => {
    let h = windows.get(start);
    if (h === undefined) {
      windows.set(start, (h = { price: -1, bids: [], edge: [] }));
      ends.push(start + sizeMs, start);
    }
    return h;
  };
  const fire = (toMs: number) => {
    while (ends.due(toMs)) {
      const start = ends.pop();
      const h = windows.get(start)!;
      for (const b of h.bids) emit(bidRow(b));
      for (const b of h.edge) if (b.price === h.price) emit(bidRow(b));
      windows.delete(start);
    }
  };
  for (const e of events) {
    const b = e.bid;
    const ts = b !== null ? b.dateTime : e.person !== null ? e.person.dateTime : e.auction!.dateTime;
    if (b !== null) {
      const start = ts - (((ts % sizeMs) + sizeMs) % sizeMs);
      const h = windowOf(start);
      if (b.price > h.price) {
        h.price = b.price;
        h.bids = [b];
        h.edge = h.edge.filter((x) => x.price >= b.price);
      } else if (b.price === h.price) h.bids.push(b);
      if (start === ts) {
        const before = windowOf(start - sizeMs);
        if (b.price >= before.price) before.edge.push(b);
      }
    }
    if (ts > maxSeenMs) {
      maxSeenMs = ts;
      fire(maxSeenMs - opts.watermarkMs - 1);
    }
  }
  fire(Infinity);
};
