// q8 by hand: per 10 s tumbling window the new persons and the sellers of new auctions; when the
// watermark passes the window, the persons who are also sellers in it.
import type { NewUserRow } from '../../src/nexmark/rows.ts';
import type { Baseline } from './baseline.ts';
import { TimeHeap } from '../../src/util/time-heap.ts';

const sizeMs = 10_000;

export const q8: Baseline<NewUserRow> = (events, emit, opts) => {
  const windows = new Map<number, { persons: Map<number, string>; sellers: Set<number> }>();
  const ends = new TimeHeap<number>();
  let maxSeenMs = -Infinity;
  let watermarkMs = -Infinity;
  const fire = (toMs: number) => {
    watermarkMs = toMs;
    while (ends.due(toMs)) {
      const start = ends.pop();
      const w = windows.get(start)!;
      for (const [id, name] of w.persons) if (w.sellers.has(id)) emit({ id, name, stime: start });
      windows.delete(start);
    }
  };
  for (const e of events) {
    const p = e.person;
    const a = e.auction;
    const ts = p !== null ? p.dateTime : a !== null ? a.dateTime : e.bid!.dateTime;
    if (e.bid === null) {
      const start = ts - (ts % sizeMs);
      if (start + sizeMs - 1 > watermarkMs) {
        let w = windows.get(start);
        if (w === undefined) {
          windows.set(start, (w = { persons: new Map(), sellers: new Set() }));
          ends.push(start + sizeMs - 1, start);
        }
        if (p !== null) w.persons.set(p.id, p.name);
        else w.sellers.add(a!.seller);
      }
    }
    if (ts > maxSeenMs) {
      maxSeenMs = ts;
      fire(maxSeenMs - opts.watermarkMs - 1);
    }
  }
  fire(Infinity);
};
