/**
 * The Nexmark generator's parameters and the arithmetic that follows from them: which kind each
 * event number is, which person and auction ids exist at an event number, and the event time of an
 * event number. Defaults are the benchmark's (NexmarkConfiguration of the Flink and Beam suites).
 */
import { WeirError } from '../../errors.ts';
import { limits } from '../../limits.ts';

export interface NexmarkOptions {
  /** Source partitions; partition p generates event numbers p, p + N, p + 2N, … (default 1). */
  partitions?: number;
  /** Seed of every random choice (default 1). The same seed gives the same events. */
  seed?: number;
  /** Events in total over all partitions; undefined = unbounded. */
  count?: number;
  /** Event-time rate: events per second of event time, over all partitions (default 10 000, the suite's first-event.rate). */
  eventsPerSec?: number;
  /** Event time of event 0, epoch ms (default 1_700_000_000_000). */
  baseTimeMs?: number;
  /** Wall-clock rate limit, events/s over all partitions; 0 = as fast as possible (default 0, the suite's max emit speed). */
  ratePerSec?: number;
  /** Bounded disorder: a delayed event's dateTime lies 1..outOfOrderMaxMs ms before its nominal time (default 0 = in order). */
  outOfOrderMaxMs?: number;
  /** Share of events that are delayed when outOfOrderMaxMs > 0 (default 0.1, the suite's probDelayedEvent). */
  outOfOrderFraction?: number;
  /** Proportions of persons, auctions and bids in every group of events (default 1, 3, 46). */
  personProportion?: number;
  auctionProportion?: number;
  bidProportion?: number;
  /** 1 in this many auctions chosen by a bid is drawn from the in-flight ones; the others are the hot auction (default 2). */
  hotAuctionRatio?: number;
  /** 1 in this many sellers is drawn from the active people; the others are the hot seller (default 4). */
  hotSellersRatio?: number;
  /** 1 in this many bidders is drawn from the active people; the others are the hot bidder (default 4). */
  hotBiddersRatio?: number;
  /** How many of the newest auctions a bid may pick from (default 100). */
  inFlightAuctions?: number;
  /** How many of the newest people a seller or bidder may be picked from (default 1000). */
  activePeople?: number;
  /** Average serialised sizes the `extra` field pads each row to, bytes (default 200, 500, 100). */
  avgPersonBytes?: number;
  avgAuctionBytes?: number;
  avgBidBytes?: number;
}

export const firstPersonId = 1000;
export const firstAuctionId = 1000;
export const firstCategoryId = 10;
export const categories = 5;
/** Ids a choice may reach beyond the newest person or auction: events then look swapped in time, as the benchmark intends. */
export const idLead = 10;
/** Hot auctions, sellers and bidders are the first of each batch of this many newest ids. */
export const hotBatch = 100;

export interface NexmarkConfig {
  partitions: number;
  seed: number;
  count: number; // Infinity = unbounded
  interEventDelayUs: number;
  baseTimeMs: number;
  intervalMs: number; // wall clock per partition; 0 = unlimited
  outOfOrderMaxMs: number;
  outOfOrderThreshold32: number;
  personProportion: number;
  auctionProportion: number;
  totalProportion: number;
  hotAuctionRatio: number;
  hotSellersRatio: number;
  hotBiddersRatio: number;
  inFlightAuctions: number;
  activePeople: number;
  avgPersonBytes: number;
  avgAuctionBytes: number;
  avgBidBytes: number;
}

function configError(message: string): WeirError {
  return new WeirError('WEIR_CONFIG', `nexmark: ${message}`);
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw configError(`${name} must be a positive integer, got ${value}`);
  return value;
}

export function resolveNexmarkOptions(o: NexmarkOptions): NexmarkConfig {
  const partitions = o.partitions ?? 1;
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > limits.parallelismMax) {
    throw configError(`partitions must be an integer in 1..${limits.parallelismMax}, got ${partitions}`);
  }
  const seed = o.seed ?? 1;
  if (!Number.isFinite(seed)) throw configError(`seed must be a finite number, got ${seed}`);
  const count = o.count ?? Infinity;
  if (count !== Infinity && !(Number.isSafeInteger(count) && count >= 0)) throw configError(`count must be a non-negative integer or undefined, got ${count}`);
  const eventsPerSec = o.eventsPerSec ?? 10_000;
  if (!(eventsPerSec > 0) || !Number.isFinite(eventsPerSec)) throw configError(`eventsPerSec must be a finite number > 0, got ${eventsPerSec}`);
  const baseTimeMs = o.baseTimeMs ?? 1_700_000_000_000;
  if (!Number.isSafeInteger(baseTimeMs) || baseTimeMs < 0) throw configError(`baseTimeMs must be a non-negative integer, got ${baseTimeMs}`);
  const rate = o.ratePerSec ?? 0;
  if (!(rate >= 0)) throw configError(`ratePerSec must be ≥ 0 (0 = unlimited), got ${rate}`);
  const outOfOrderMaxMs = o.outOfOrderMaxMs ?? 0;
  if (!Number.isSafeInteger(outOfOrderMaxMs) || outOfOrderMaxMs < 0) throw configError(`outOfOrderMaxMs must be a non-negative integer, got ${outOfOrderMaxMs}`);
  const fraction = o.outOfOrderFraction ?? 0.1;
  if (!(fraction >= 0 && fraction <= 1)) throw configError(`outOfOrderFraction must be in 0..1, got ${fraction}`);
  const personProportion = positiveInteger('personProportion', o.personProportion ?? 1);
  const auctionProportion = positiveInteger('auctionProportion', o.auctionProportion ?? 3);
  const bidProportion = positiveInteger('bidProportion', o.bidProportion ?? 46);
  return {
    partitions,
    seed,
    count,
    interEventDelayUs: 1_000_000 / eventsPerSec,
    baseTimeMs,
    intervalMs: rate === 0 || rate === Infinity ? 0 : (1000 * partitions) / rate,
    outOfOrderMaxMs,
    outOfOrderThreshold32: outOfOrderMaxMs > 0 ? fraction * 4294967296 : 0,
    personProportion,
    auctionProportion,
    totalProportion: personProportion + auctionProportion + bidProportion,
    hotAuctionRatio: positiveInteger('hotAuctionRatio', o.hotAuctionRatio ?? 2),
    hotSellersRatio: positiveInteger('hotSellersRatio', o.hotSellersRatio ?? 4),
    hotBiddersRatio: positiveInteger('hotBiddersRatio', o.hotBiddersRatio ?? 4),
    inFlightAuctions: positiveInteger('inFlightAuctions', o.inFlightAuctions ?? 100),
    activePeople: positiveInteger('activePeople', o.activePeople ?? 1000),
    avgPersonBytes: positiveInteger('avgPersonBytes', o.avgPersonBytes ?? 200),
    avgAuctionBytes: positiveInteger('avgAuctionBytes', o.avgAuctionBytes ?? 500),
    avgBidBytes: positiveInteger('avgBidBytes', o.avgBidBytes ?? 100),
  };
}

/** Nominal event time of event number n (before any disorder): base + n × inter-event delay, in whole ms. */
export function timestampForEvent(c: NexmarkConfig, n: number): number {
  return c.baseTimeMs + Math.floor(Math.floor(n * c.interEventDelayUs) / 1000);
}

/** Which kind event number n is: 0 person, 1 auction, 2 bid (its place in its group of totalProportion events). */
export function kindOfEvent(c: NexmarkConfig, n: number): 0 | 1 | 2 {
  const offset = n % c.totalProportion;
  return offset < c.personProportion ? 0 : offset < c.personProportion + c.auctionProportion ? 1 : 2;
}

/** The newest person id (base 0) at event number n: n's own when n is a person. */
export function lastPersonIndex(c: NexmarkConfig, n: number): number {
  const group = Math.floor(n / c.totalProportion);
  const offset = n % c.totalProportion;
  return group * c.personProportion + Math.min(offset, c.personProportion - 1);
}

/**
 * The newest auction id (base 0) at event number n: n's own when n is an auction. Before the first
 * auction of all this is -1; callers clamp.
 */
export function lastAuctionIndex(c: NexmarkConfig, n: number): number {
  let group = Math.floor(n / c.totalProportion);
  let offset = n % c.totalProportion;
  if (offset < c.personProportion) {
    group--; // a person: the last auction is the previous group's last
    offset = c.auctionProportion - 1;
  } else if (offset >= c.personProportion + c.auctionProportion) {
    offset = c.auctionProportion - 1; // a bid: this group's last auction
  } else {
    offset -= c.personProportion;
  }
  return group * c.auctionProportion + offset;
}

/** Events partition p of `partitions` generates out of `count` (event numbers ≡ p mod partitions). */
export function nexmarkShareOf(count: number, partitions: number, p: number): number {
  if (count === Infinity) return Infinity;
  return count > p ? Math.floor((count - 1 - p) / partitions) + 1 : 0;
}
