// q21 by hand: the bids of a named channel or with a channel_id in their URL, with that id.
import { channelId } from '../../src/nexmark/calculations.ts';
import type { ChannelIdRow } from '../../src/nexmark/rows.ts';
import type { Baseline } from './baseline.ts';

export const q21: Baseline<ChannelIdRow> = (events, emit) => {
  for (const e of events) {
    const b = e.bid;
    if (b === null) continue;
    const id = channelId(b.channel, b.url);
    if (id !== null) emit({ auction: b.auction, bidder: b.bidder, price: b.price, channel: b.channel, channel_id: id });
  }
};
