/**
 * q15: bidding statistics per group (a day) as an unbounded GROUP BY with count(*) and
 * count(distinct bidder / auction), each overall and FILTERed by price band. The
 * SQL's result is a changelog with one row per group; weir emits the group's updated row after
 * each batch of bids (an upsert stream keyed by the group), as Flink runs it in the Nexmark suite:
 * with mini-batches (`table.exec.mini-batch.*`) and its split-distinct rewrite
 * (`table.optimizer.distinct-agg.split.enabled`).
 *
 * The same here, with keyBy's combine (runtime/worker/combiner.ts) for the mini-batches:
 *  - keyed by (group, bidder), a bidder's price bands seen so far; combined before the exchange
 *    (the bands of one bidder's bids in a batch, OR-ed), so one record per
 *    bidder and batch crosses. What is new of them becomes counts to add: one more distinct
 *    bidder overall, and in each band it is new to;
 *  - the same keyed by (group, auction);
 *  - every bid is one more bid overall and in its band;
 *  - keyed by the group, those counts combined and added up. One record per group and batch
 *    crosses; each is one updated row.
 * The final row of each group is the SQL's, whatever the batches were.
 *
 * It pays because a day's bidders and auctions repeat within a batch. q16's groups (a channel and
 * a day) are mostly rare channels, which a batch seldom repeats: q16 keeps its distinct bidders
 * and auctions where its group is instead (queries/q16.ts).
 */
import type { DataStream } from '../api/stream.ts';
import type { Bid } from '../connectors/nexmark/model.ts';
import type { KeyedStateAccess } from '../functions/contracts.ts';
import { emptyBiddingCounts, idPair, priceBand, type BiddingCounts } from './calculations.ts';

/** Counts to add to a group's figures (BiddingCounts, flat: a record of numbers crosses an exchange in binary). */
export interface CountsToAdd {
  group: string;
  latestMs: number;
  bids0: number;
  bids1: number;
  bids2: number;
  bids3: number;
  bidders0: number;
  bidders1: number;
  bidders2: number;
  bidders3: number;
  auctions0: number;
  auctions1: number;
  auctions2: number;
  auctions3: number;
}

/** A bidder or an auction of a group, and the price bands (bit b for band b) its bids in the batch were in. */
interface SeenIn {
  group: string;
  /** The group's number (q15's day number), or -1 when it has none: see seenKey. */
  groupNumber: number;
  id: number;
  bands: number;
}

/** The group's figures after a batch of its bids. */
export interface GroupCounts {
  group: string;
  counts: BiddingCounts;
}

const nothing = (group: string, latestMs: number): CountsToAdd => ({
  group,
  latestMs,
  bids0: 0,
  bids1: 0,
  bids2: 0,
  bids3: 0,
  bidders0: 0,
  bidders1: 0,
  bidders2: 0,
  bidders3: 0,
  auctions0: 0,
  auctions1: 0,
  auctions2: 0,
  auctions3: 0,
});

/** A bid: one more bid, overall and in its band. */
function oneBid(group: string, b: Bid): CountsToAdd {
  const c = nothing(group, b.dateTime);
  c.bids0 = 1;
  const band = priceBand(b.price);
  if (band === 1) c.bids1 = 1;
  else if (band === 2) c.bids2 = 1;
  else c.bids3 = 1;
  return c;
}

/**
 * Folds b into a and returns a. The combine functions here change their first record rather than
 * make a new one per bid (the combiner's share of a q15 worker's profile, the combine functions
 * inlined in it: 13 % before, 10–11 % after). Every record they get is made in this file for its
 * keyBy alone (oneBid, newlySeen, seenIn), so nothing else holds it.
 */
function sum(a: CountsToAdd, b: CountsToAdd): CountsToAdd {
  if (b.latestMs > a.latestMs) a.latestMs = b.latestMs;
  a.bids0 += b.bids0;
  a.bids1 += b.bids1;
  a.bids2 += b.bids2;
  a.bids3 += b.bids3;
  a.bidders0 += b.bidders0;
  a.bidders1 += b.bidders1;
  a.bidders2 += b.bidders2;
  a.bidders3 += b.bidders3;
  a.auctions0 += b.auctions0;
  a.auctions1 += b.auctions1;
  a.auctions2 += b.auctions2;
  a.auctions3 += b.auctions3;
  return a;
}

function addTo(counts: BiddingCounts, c: CountsToAdd): void {
  if (c.latestMs > counts.latestMs) counts.latestMs = c.latestMs;
  counts.bids[0] += c.bids0;
  counts.bids[1] += c.bids1;
  counts.bids[2] += c.bids2;
  counts.bids[3] += c.bids3;
  counts.bidders[0] += c.bidders0;
  counts.bidders[1] += c.bidders1;
  counts.bidders[2] += c.bidders2;
  counts.bidders[3] += c.bidders3;
  counts.auctions[0] += c.auctions0;
  counts.auctions[1] += c.auctions1;
  counts.auctions[2] += c.auctions2;
  counts.auctions[3] += c.auctions3;
}

/**
 * The current key (a group and a bidder, or a group and an auction) seen in `s.bands` too: the
 * counts that adds to its group (one more overall if it is new; one more in each band it is new
 * to), or undefined when nothing is new.
 */
function newlySeen(s: SeenIn, ctx: KeyedStateAccess, what: 'bidders' | 'auctions'): CountsToAdd | undefined {
  const state = ctx.valueState<number>('bands');
  const before = state.value() ?? 0;
  const added = s.bands & ~before;
  if (added === 0) return undefined;
  state.update(before | added);
  const c = nothing(s.group, 0); // no bid time: 0 is before every bid's
  if (what === 'bidders') {
    if (before === 0) c.bidders0 = 1;
    c.bidders1 = (added >> 1) & 1;
    c.bidders2 = (added >> 2) & 1;
    c.bidders3 = (added >> 3) & 1;
  } else {
    if (before === 0) c.auctions0 = 1;
    c.auctions1 = (added >> 1) & 1;
    c.auctions2 = (added >> 2) & 1;
    c.auctions3 = (added >> 3) & 1;
  }
  return c;
}

const seenIn = (group: string, groupNumber: number, id: number, price: number): SeenIn => ({ group, groupNumber, id, bands: 1 << priceBand(price) });

/** A (group, bidder) or (group, auction) key: a number when the group has one (idPair), else the text `group/id`. */
export const seenKey = (s: Pick<SeenIn, 'group' | 'groupNumber' | 'id'>): number | string => (s.groupNumber >= 0 ? idPair(s.groupNumber, s.id) : undefined) ?? `${s.group}/${s.id}`;

/** Folds b's bands into a (see sum). */
const bandsOfBoth = (a: SeenIn, b: SeenIn): SeenIn => {
  a.bands |= b.bands;
  return a;
};

/**
 * Bids → each group's figures after each batch of its bids, the group chosen by `groupOf` and
 * numbered by `groupNumberOf` (a day's number; −1 for a group without one: see seenKey).
 */
export function biddingCounts(bids: DataStream<Bid>, groupOf: (b: Bid) => string, name: string, groupNumberOf: (b: Bid) => number): DataStream<GroupCounts> {
  const grouped = bids.map((b) => ({ group: groupOf(b), groupNumber: groupNumberOf(b), bid: b }), { name: `${name}-group` });
  const distinct = (what: 'bidders' | 'auctions', idOf: (b: Bid) => number) =>
    grouped
      .map(({ group, groupNumber, bid }) => seenIn(group, groupNumber, idOf(bid), bid.price), { name: `${name}-${what}` })
      .keyBy(seenKey, { name: `${name}-by-group-${what}`, combine: bandsOfBoth })
      .process<CountsToAdd>(
        (s, ctx) => {
          const c = newlySeen(s, ctx, what);
          if (c !== undefined) ctx.emit(c);
        },
        { name: `${name}-new-${what}` },
      );
  return grouped
    .map(({ group, bid }) => oneBid(group, bid), { name: `${name}-bids` })
    .union(distinct('bidders', (b) => b.bidder), distinct('auctions', (b) => b.auction))
    .keyBy((c) => c.group, { name: `${name}-by-group`, combine: sum })
    .process<GroupCounts>(
      (c, ctx) => {
        const state = ctx.valueState<BiddingCounts>('counts');
        const counts = state.value() ?? emptyBiddingCounts();
        addTo(counts, c);
        state.update(counts);
        ctx.emit({ group: c.group, counts });
      },
      { name: `${name}-counts` },
    );
}
