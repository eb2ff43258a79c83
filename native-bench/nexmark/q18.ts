// q18 by hand: each bidder's last bid on each auction, emitted again whenever a later one replaces it.
import type { Bid } from '../../src/connectors/nexmark/model.ts';
import { laterBid } from '../../src/nexmark/calculations.ts';
import type { LastBidRow } from '../../src/nexmark/rows.ts';
import type { Baseline } from './baseline.ts';

export const q18: Baseline<LastBidRow> = (events, emit) => {
  const last = new Map<string, Bid>();
  for (const e of events) {
    const b = e.bid;
    if (b === null) continue;
    const key = `${b.bidder}/${b.auction}`;
    const current = last.get(key);
    if (current !== undefined && !laterBid(b, current)) continue;
    last.set(key, b);
    emit({ auction: b.auction, bidder: b.bidder, price: b.price, channel: b.channel, url: b.url, dateTime: b.dateTime, extra: b.extra });
  }
};
