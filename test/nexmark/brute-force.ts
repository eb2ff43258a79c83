// The Nexmark queries computed by their definitions over the whole (bounded) event list: the
// other side of the query tests. No watermarks, no incremental state, nothing shared with
// src/nexmark or native-bench/nexmark. Valid when no record is late (the tests' watermark bound is
// larger than the generator's disorder).
import type { Auction, Bid, NexmarkEvent, Person } from '../../src/connectors/nexmark/model.ts';

const bidsOf = (events: NexmarkEvent[]) => events.flatMap((e) => (e.bid ? [e.bid] : []));
const auctionsOf = (events: NexmarkEvent[]) => events.flatMap((e) => (e.auction ? [e.auction] : []));
const personsOf = (events: NexmarkEvent[]) => events.flatMap((e) => (e.person ? [e.person] : []));
const floorTo = (t: number, size: number) => Math.floor(t / size) * size;

function groupBy<T, K>(items: T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}

const bidRow = (b: Bid) => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra });

export const q0 = (events: NexmarkEvent[]) => bidsOf(events).map(bidRow);

export const q1 = (events: NexmarkEvent[]) => bidsOf(events).map((b) => ({ ...bidRow(b), price: Number((0.908 * b.price).toFixed(3)) }));

export const q2 = (events: NexmarkEvent[]) => bidsOf(events).filter((b) => b.auction % 123 === 0).map((b) => ({ auction: b.auction, price: b.price }));

export function q3(events: NexmarkEvent[]) {
  const persons = new Map<number, Person>(personsOf(events).map((p) => [p.id, p]));
  const rows = [];
  for (const a of auctionsOf(events)) {
    const p = persons.get(a.seller);
    if (a.category === 10 && p && ['OR', 'ID', 'CA'].includes(p.state)) rows.push({ name: p.name, city: p.city, state: p.state, id: a.id });
  }
  return rows;
}

/** Per auction: its bids placed while it was open, best first (price ↓, time ↑, bidder ↑, extra ↑). */
function rankedBids(events: NexmarkEvent[]): Array<{ auction: Auction; bids: Bid[] }> {
  const bidsByAuction = groupBy(bidsOf(events), (b) => b.auction);
  return auctionsOf(events).map((auction) => ({
    auction,
    bids: (bidsByAuction.get(auction.id) ?? [])
      .filter((b) => b.dateTime >= auction.dateTime && b.dateTime <= auction.expires)
      .sort((x, y) => y.price - x.price || x.dateTime - y.dateTime || x.bidder - y.bidder || (x.extra < y.extra ? -1 : x.extra > y.extra ? 1 : 0)),
  }));
}

/** q4's final rows: one per category. */
export function q4Final(events: NexmarkEvent[]) {
  const finals = rankedBids(events).filter((r) => r.bids.length > 0);
  return [...groupBy(finals, (r) => r.auction.category)].map(([id, rs]) => ({
    id,
    final: Math.trunc(rs.reduce((s, r) => s + r.bids[0].price, 0) / rs.length),
    auctions: rs.length,
  }));
}

export function q5(events: NexmarkEvent[]) {
  const counts = new Map<number, Map<number, number>>();
  for (const b of bidsOf(events)) {
    for (let start = floorTo(b.dateTime, 2000); start > b.dateTime - 10_000; start -= 2000) {
      const perAuction = counts.get(start) ?? new Map<number, number>();
      perAuction.set(b.auction, (perAuction.get(b.auction) ?? 0) + 1);
      counts.set(start, perAuction);
    }
  }
  const rows = [];
  for (const [start, perAuction] of counts) {
    const max = Math.max(...perAuction.values());
    for (const [auction, num] of perAuction) if (num >= max) rows.push({ auction, num, starttime: start, endtime: start + 10_000 });
  }
  return rows;
}

/** q6: per seller, in closing order (expiry, then id), the truncated average of its last 10 closing prices, after each close. */
export function q6(events: NexmarkEvent[]) {
  const closed = rankedBids(events)
    .filter((r) => r.bids.length > 0)
    .sort((x, y) => x.auction.expires - y.auction.expires || x.auction.id - y.auction.id);
  const rows = [];
  for (const [seller, ofSeller] of groupBy(closed, (r) => r.auction.seller)) {
    for (let i = 0; i < ofSeller.length; i++) {
      const prices = ofSeller.slice(Math.max(0, i - 9), i + 1).map((r) => r.bids[0].price);
      rows.push({ seller, avg_price: Math.trunc(prices.reduce((s, p) => s + p, 0) / prices.length), auction: ofSeller[i].auction.id });
    }
  }
  return rows;
}

export function q7(events: NexmarkEvent[]) {
  const bids = bidsOf(events);
  const rows = [];
  for (const [start, inWindow] of groupBy(bids, (b) => floorTo(b.dateTime, 10_000))) {
    const max = Math.max(...inWindow.map((b) => b.price));
    const end = start + 10_000;
    for (const b of bids) if (b.price === max && b.dateTime >= end - 10_000 && b.dateTime <= end) rows.push(bidRow(b));
  }
  return rows;
}

export function q8(events: NexmarkEvent[]) {
  const sellers = new Set(auctionsOf(events).map((a) => `${a.seller}@${floorTo(a.dateTime, 10_000)}`));
  return personsOf(events)
    .filter((p) => sellers.has(`${p.id}@${floorTo(p.dateTime, 10_000)}`))
    .map((p) => ({ id: p.id, name: p.name, stime: floorTo(p.dateTime, 10_000) }));
}

export function q9(events: NexmarkEvent[]) {
  return rankedBids(events)
    .filter((r) => r.bids.length > 0)
    .map(({ auction, bids: [b] }) => ({ ...auction, bidder: b.bidder, price: b.price, bid_dateTime: b.dateTime, bid_extra: b.extra }));
}

/** q10: every bid with its partition columns, the UTC day and minute. */
export function q10(events: NexmarkEvent[]) {
  return bidsOf(events).map((b) => {
    const iso = new Date(b.dateTime).toISOString(); // yyyy-MM-ddTHH:mm:ss.sssZ
    return { auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra, dt: iso.slice(0, 10), hm: iso.slice(11, 16) };
  });
}

export function q11(events: NexmarkEvent[]) {
  const rows = [];
  for (const [bidder, bids] of groupBy(bidsOf(events), (b) => b.bidder)) {
    const times = bids.map((b) => b.dateTime).sort((x, y) => x - y);
    let first = times[0];
    let count = 0;
    for (let i = 0; i < times.length; i++) {
      if (i > 0 && times[i] - times[i - 1] > 10_000) {
        rows.push({ bidder, bid_count: count, starttime: first, endtime: times[i - 1] + 10_000 });
        first = times[i];
        count = 0;
      }
      count++;
    }
    rows.push({ bidder, bid_count: count, starttime: first, endtime: times[times.length - 1] + 10_000 });
  }
  return rows;
}

/** Bids per bidder: what q12's windows of one bidder add up to, however the clock cut them. */
export function bidsPerBidder(events: NexmarkEvent[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const b of bidsOf(events)) counts.set(b.bidder, (counts.get(b.bidder) ?? 0) + 1);
  return counts;
}

// q14, q21, q22: projections, each written from its SQL without the functions the jobs share.
export const q14 = (events: NexmarkEvent[]) =>
  bidsOf(events)
    .map((b) => ({ b, price: Number((0.908 * b.price).toFixed(3)) }))
    .filter(({ price }) => price > 1_000_000 && price < 50_000_000)
    .map(({ b, price }) => {
      const hour = new Date(b.dateTime).getUTCHours();
      const bidTimeType = hour >= 8 && hour <= 18 ? 'dayTime' : hour <= 6 || hour >= 20 ? 'nightTime' : 'otherTime';
      return { ...bidRow(b), price, bidTimeType, c_counts: b.extra.split('c').length - 1 };
    });

export function q21(events: NexmarkEvent[]) {
  const named = ['apple', 'google', 'facebook', 'baidu'];
  const rows = [];
  for (const b of bidsOf(events)) {
    // REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2): the first channel_id= at the start or after an '&'.
    const at = b.url.startsWith('channel_id=') ? 0 : b.url.indexOf('&channel_id=') + 1 || -1;
    const fromUrl = at < 0 ? null : b.url.slice(at + 'channel_id='.length).split('&')[0];
    const index = named.indexOf(b.channel.toLowerCase());
    const channel_id = index >= 0 ? String(index) : fromUrl;
    if (channel_id !== null) rows.push({ auction: b.auction, bidder: b.bidder, price: b.price, channel: b.channel, channel_id });
  }
  return rows;
}

export const q22 = (events: NexmarkEvent[]) =>
  bidsOf(events).map((b) => {
    const parts = b.url.split('/');
    return { auction: b.auction, bidder: b.bidder, price: b.price, channel: b.channel, dir1: parts[3] ?? null, dir2: parts[4] ?? null, dir3: parts[5] ?? null };
  });

/** q20: each bid whose auction (anywhere in the input) is of category 10, with that auction's columns. */
export function q20(events: NexmarkEvent[]) {
  const auctions = auctionsOf(events);
  const rows = [];
  for (const b of bidsOf(events)) {
    const a = auctions.find((x) => x.id === b.auction);
    if (a === undefined || a.category !== 10) continue;
    rows.push({
      auction: b.auction, bidder: b.bidder, price: b.price, channel: b.channel, url: b.url, bid_dateTime: b.dateTime, bid_extra: b.extra,
      itemName: a.itemName, description: a.description, initialBid: a.initialBid, reserve: a.reserve, auction_dateTime: a.dateTime,
      expires: a.expires, seller: a.seller, category: a.category, auction_extra: a.extra,
    });
  }
  return rows;
}

/** q17: per (auction, UTC day) of its bids: counts per price band, min, max, truncated average, sum. */
export function q17Final(events: NexmarkEvent[]) {
  const groups = groupBy(bidsOf(events), (b) => `${b.auction}/${new Date(b.dateTime).toISOString().slice(0, 10)}`);
  return [...groups.values()].map((bids) => {
    const prices = bids.map((b) => b.price);
    const sum = prices.reduce((a, p) => a + p, 0);
    return {
      auction: bids[0].auction,
      day: new Date(bids[0].dateTime).toISOString().slice(0, 10),
      total_bids: bids.length,
      rank1_bids: prices.filter((p) => p < 10_000).length,
      rank2_bids: prices.filter((p) => p >= 10_000 && p < 1_000_000).length,
      rank3_bids: prices.filter((p) => p >= 1_000_000).length,
      min_price: Math.min(...prices),
      max_price: Math.max(...prices),
      avg_price: Math.trunc(sum / bids.length),
      sum_price: sum,
    };
  });
}

/** q18: per (bidder, auction) the bid with the latest dateTime, ties to the higher price, then the larger extra. */
export function q18Final(events: NexmarkEvent[]) {
  const groups = groupBy(bidsOf(events), (b) => `${b.bidder}/${b.auction}`);
  return [...groups.values()].map((bids) => {
    const [b] = bids.slice().sort((x, y) => y.dateTime - x.dateTime || y.price - x.price || (x.extra < y.extra ? 1 : x.extra > y.extra ? -1 : 0));
    return { auction: b.auction, bidder: b.bidder, price: b.price, channel: b.channel, url: b.url, dateTime: b.dateTime, extra: b.extra };
  });
}

/** q19: per auction its bids by price (highest first; ties: earlier, then lower bidder, then smaller extra), the first ten with their rank. */
export function q19Final(events: NexmarkEvent[]) {
  const rows: Array<Bid & { rank_number: number }> = [];
  for (const bids of groupBy(bidsOf(events), (b) => b.auction).values()) {
    const ranked = bids.slice().sort((x, y) => y.price - x.price || x.dateTime - y.dateTime || x.bidder - y.bidder || (x.extra < y.extra ? -1 : x.extra > y.extra ? 1 : 0));
    ranked.slice(0, 10).forEach((b, i) => rows.push({ ...b, rank_number: i + 1 }));
  }
  return rows;
}

/** q15 (group: the UTC day) and q16 (the channel and the UTC day, and the latest 'HH:mm'): counts and distinct counts per price band. */
function biddingStatistics(bids: Bid[]) {
  const bands: Array<(p: number) => boolean> = [() => true, (p) => p < 10_000, (p) => p >= 10_000 && p < 1_000_000, (p) => p >= 1_000_000];
  const names = ['total', 'rank1', 'rank2', 'rank3'];
  const row: Record<string, number> = {};
  bands.forEach((inBand, i) => {
    const mine = bids.filter((b) => inBand(b.price));
    row[`${names[i]}_bids`] = mine.length;
    row[`${names[i]}_bidders`] = new Set(mine.map((b) => b.bidder)).size;
    row[`${names[i]}_auctions`] = new Set(mine.map((b) => b.auction)).size;
  });
  return row;
}
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export const q15Final = (events: NexmarkEvent[]) =>
  [...groupBy(bidsOf(events), (b) => utcDay(b.dateTime)).entries()].map(([day, bids]) => ({ day, ...biddingStatistics(bids) }));

export const q16Final = (events: NexmarkEvent[]) =>
  [...groupBy(bidsOf(events), (b) => `${b.channel}/${utcDay(b.dateTime)}`).values()].map((bids) => ({
    channel: bids[0].channel,
    day: utcDay(bids[0].dateTime),
    minute: bids.map((b) => new Date(b.dateTime).toISOString().slice(11, 16)).sort().at(-1),
    ...biddingStatistics(bids),
  }));

/** q13: each bid with the value of row auction mod 10 000 of the side input `table`. */
export const q13With = (table: Map<number, string>) => (events: NexmarkEvent[]) =>
  bidsOf(events).map((b) => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, value: table.get(b.auction % 10_000)! }));
