/**
 * What Nexmark's queries compute for a record or a key beyond the engine's operators — the scalar
 * functions of q14, q21 and q22, q17's day and running figures, q18's order of bids — as the
 * suite's Flink SQL defines them: shared by the job modules and the plain single-thread programs,
 * which differ in what runs them, not in what a row is. The tests' definitions do not use them.
 */
import type { BidCalculationRow } from './rows.ts';

const hourMs = 3_600_000;

/** q14's CASE over HOUR(dateTime): the hour of the timestamp (epoch ms, read as UTC). */
export function bidTimeType(dateTimeMs: number): BidCalculationRow['bidTimeType'] {
  const hour = Math.floor(dateTimeMs / hourMs) % 24;
  if (hour >= 8 && hour <= 18) return 'dayTime';
  if (hour <= 6 || hour >= 20) return 'nightTime';
  return 'otherTime';
}

/** The suite's count_char UDF: how often `char` (one ASCII character) occurs in `s`. */
export function countChar(s: string, char: string): number {
  const code = char.charCodeAt(0);
  let count = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === code) count++;
  return count;
}

/** q21's channel ids of the four named channels, by lower-cased name. */
const namedChannelIds: Record<string, string> = { apple: '0', google: '1', facebook: '2', baidu: '3' };

/** REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2): null when the URL has no such parameter. */
export function urlChannelId(url: string): string | null {
  const m = /(&|^)channel_id=([^&]*)/.exec(url);
  return m === null ? null : m[2];
}

/** q21's channel_id, or null for a bid the query's WHERE drops (neither a named channel nor a channel_id in its URL). */
export function channelId(channel: string, url: string): string | null {
  return namedChannelIds[channel.toLowerCase()] ?? urlChannelId(url);
}

/** SPLIT_INDEX(s, separator, index): the index-th part (from 0), null past the last. */
export function splitIndex(s: string, separator: string, index: number): string | null {
  return s.split(separator)[index] ?? null;
}

const dayMs = 86_400_000;
/** The last day formatted, by day number: consecutive records mostly fall on the same day. */
let lastDay = { number: Number.NaN, text: '' };

/**
 * Two ids as one number key: high · 2³² + low, exact below 2⁵³, when both are non-negative integers
 * with high < 2²¹ and low < 2³²; undefined when they do not fit (the caller keys by text then). A
 * key string made per record costs its building, flattening and hash at every look-up of a
 * combiner and of keyed state; a number costs none of them, and the plain programs key their
 * Maps by numbers too (q15's combiners: 13 % of a worker's samples with text keys such as
 * `2015-07-15/1234567`; q18's keys, `bidder/auction`, are short enough that V8 makes them flat,
 * and numbers did not measurably help there). A number key and a text key never collide.
 */
export function idPair(high: number, low: number): number | undefined {
  if (high >= 0 && high < 2 ** 21 && low >= 0 && low < 2 ** 32 && Number.isInteger(high) && Number.isInteger(low)) return high * 2 ** 32 + low;
  return undefined;
}

/** The day a timestamp (epoch ms) falls on, read as UTC, as a number: days since 1970-01-01. */
export const dayNumberOf = (dateTimeMs: number): number => Math.floor(dateTimeMs / dayMs);

/** DATE_FORMAT(dateTime, 'yyyy-MM-dd'), the timestamp (epoch ms) read as UTC. */
export function dayOf(dateTimeMs: number): string {
  const number = Math.floor(dateTimeMs / dayMs);
  if (number !== lastDay.number) lastDay = { number, text: new Date(number * dayMs).toISOString().slice(0, 10) };
  return lastDay.text;
}

/** q17's running statistics of one (auction, day). */
export interface DayStats {
  total: number;
  rank1: number;
  rank2: number;
  rank3: number;
  min: number;
  max: number;
  sum: number;
}

/** `stats` (undefined: none yet) with one more bid at `price`. */
export function withBid(stats: DayStats | undefined, price: number): DayStats {
  const s = stats ?? { total: 0, rank1: 0, rank2: 0, rank3: 0, min: price, max: price, sum: 0 };
  const band = priceBand(price);
  return {
    total: s.total + 1,
    rank1: s.rank1 + (band === 1 ? 1 : 0),
    rank2: s.rank2 + (band === 2 ? 1 : 0),
    rank3: s.rank3 + (band === 3 ? 1 : 0),
    min: Math.min(s.min, price),
    max: Math.max(s.max, price),
    sum: s.sum + price,
  };
}

/**
 * q18's order of a (bidder, auction)'s bids: the later dateTime first. ROW_NUMBER() OVER (… ORDER
 * BY dateTime DESC) leaves ties to chance; here the higher price, then the larger extra, win them,
 * so that the last bid never depends on the order bids of different partitions arrive in.
 */
export function laterBid(a: { dateTime: number; price: number; extra: string }, b: { dateTime: number; price: number; extra: string }): boolean {
  if (a.dateTime !== b.dateTime) return a.dateTime > b.dateTime;
  if (a.price !== b.price) return a.price > b.price;
  return a.extra > b.extra;
}

/** The statistics of the bids of both (`a` undefined: none yet). */
export function mergeDayStats(a: DayStats | undefined, b: DayStats): DayStats {
  if (a === undefined) return { total: b.total, rank1: b.rank1, rank2: b.rank2, rank3: b.rank3, min: b.min, max: b.max, sum: b.sum };
  return {
    total: a.total + b.total,
    rank1: a.rank1 + b.rank1,
    rank2: a.rank2 + b.rank2,
    rank3: a.rank3 + b.rank3,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    sum: a.sum + b.sum,
  };
}

/** q15–q17's price bands: 1 below 10 000, 2 below 1 000 000, 3 from there on. */
export function priceBand(price: number): 1 | 2 | 3 {
  return price < 10_000 ? 1 : price < 1_000_000 ? 2 : 3;
}

/**
 * q15's and q16's figures of one group: index 0 counts everything, 1–3 the price bands — bids,
 * distinct bidders and distinct auctions (the SQL's count(*) and count(distinct …) with FILTERs) —
 * and the latest dateTime of its bids (q16's latest minute: within one day, the latest 'HH:mm' is
 * that of the latest bid).
 */
export interface BiddingCounts {
  latestMs: number;
  bids: number[];
  bidders: number[];
  auctions: number[];
}

export const emptyBiddingCounts = (): BiddingCounts => ({ latestMs: Number.NEGATIVE_INFINITY, bids: [0, 0, 0, 0], bidders: [0, 0, 0, 0], auctions: [0, 0, 0, 0] });

/**
 * Counts a bid into `counts` (changed in place). `bidderBands` and `auctionBands` say in which
 * price bands the group had seen its bidder and its auction before (bit b for band b, 0: never);
 * returned are the same with this bid's band added, for the caller to keep.
 */
export function countBid(counts: BiddingCounts, bid: { price: number; dateTime: number }, bidderBands: number, auctionBands: number): { bidderBands: number; auctionBands: number } {
  const band = priceBand(bid.price);
  const bit = 1 << band;
  if (bid.dateTime > counts.latestMs) counts.latestMs = bid.dateTime;
  counts.bids[0]++;
  counts.bids[band]++;
  if (bidderBands === 0) counts.bidders[0]++;
  if ((bidderBands & bit) === 0) counts.bidders[band]++;
  if (auctionBands === 0) counts.auctions[0]++;
  if ((auctionBands & bit) === 0) counts.auctions[band]++;
  return { bidderBands: bidderBands | bit, auctionBands: auctionBands | bit };
}

/** DATE_FORMAT(dateTime, 'HH:mm'), the timestamp (epoch ms) read as UTC. */
export function minuteOf(dateTimeMs: number): string {
  const minutes = Math.floor(dateTimeMs / 60_000) % 1440;
  const hh = Math.floor(minutes / 60);
  const mm = minutes % 60;
  return `${hh < 10 ? '0' : ''}${hh}:${mm < 10 ? '0' : ''}${mm}`;
}
