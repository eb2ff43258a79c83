/**
 * q15 and q16: bidding statistics per group (a day; a channel and a day) as an unbounded GROUP BY
 * with count(*) and count(distinct bidder / auction), each overall and FILTERed by price band. The
 * SQL's result is a changelog with one row per group; weir emits the group's updated row for every
 * bid (an upsert stream keyed by the group).
 *
 * Distinct counts in three steps, as Flink's planner splits a COUNT(DISTINCT) (its split-distinct
 * rewrite): keyed by (group, bidder), a bid learns whether its group has seen that bidder before,
 * in any band and in the bid's own; the same keyed by (group, auction); then keyed by the group,
 * the counts add it up. Each step reads and writes one small value per bid. (One map of every
 * bidder per group would be rewritten whole by each bid: weir's map state is one stored value.)
 */
import type { DataStream } from '../api/stream.ts';
import type { Bid } from '../connectors/nexmark/model.ts';
import type { KeyedStateAccess } from '../functions/contracts.ts';
import { countBid, emptyBiddingCounts, priceBand, type BiddingCounts } from './calculations.ts';

/** What the statistics read of a bid — all that crosses the exchanges — and what the steps learn about it. */
export interface StatisticsBid {
  /** The group: the day, or the channel and the day. */
  group: string;
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  dateTime: number;
  /** The bands (bit b for band b, 0: none) the group had seen this bid's bidder in before it. */
  bidderBands: number;
  /** The same for its auction. */
  auctionBands: number;
}

/** The group's figures after each bid, with the bid they are after. */
export interface GroupCounts {
  bid: StatisticsBid;
  counts: BiddingCounts;
}

/** The bands the current key (a group and a bidder, or a group and an auction) was seen in before `b`; `b`'s band is added. */
function bandsSeenBefore(b: StatisticsBid, ctx: KeyedStateAccess): number {
  const bands = ctx.valueState<number>('bands');
  const before = bands.value() ?? 0;
  const after = before | (1 << priceBand(b.price));
  if (after !== before) bands.update(after);
  return before;
}

/** Bids → each bid with its group's figures after it, the group chosen by `groupOf`. */
export function biddingCounts(bids: DataStream<Bid>, groupOf: (b: Bid) => string, name: string): DataStream<GroupCounts> {
  return bids
    .map((b): StatisticsBid => ({ group: groupOf(b), auction: b.auction, bidder: b.bidder, price: b.price, channel: b.channel, dateTime: b.dateTime, bidderBands: 0, auctionBands: 0 }), { name: `${name}-columns` })
    .keyBy((b) => `${b.group}/${b.bidder}`, { name: `${name}-by-group-bidder` })
    .process<StatisticsBid>((b, ctx) => ctx.emit({ ...b, bidderBands: bandsSeenBefore(b, ctx) }), { name: `${name}-bidders-seen` })
    .keyBy((b) => `${b.group}/${b.auction}`, { name: `${name}-by-group-auction` })
    .process<StatisticsBid>((b, ctx) => ctx.emit({ ...b, auctionBands: bandsSeenBefore(b, ctx) }), { name: `${name}-auctions-seen` })
    .keyBy((b) => b.group, { name: `${name}-by-group` })
    .process<GroupCounts>(
      (b, ctx) => {
        const state = ctx.valueState<BiddingCounts>('counts');
        const counts = state.value() ?? emptyBiddingCounts();
        countBid(counts, b, b.bidderBands, b.auctionBands);
        state.update(counts);
        ctx.emit({ bid: b, counts });
      },
      { name: `${name}-counts` },
    );
}
