/**
 * The output rows of the Nexmark queries, named after the columns of the suite's SQL sinks. Where
 * weir's row carries more than the SQL sink (a window's bounds, a count), the comment says so: the
 * extra columns make rows checkable and are computed by the SQL anyway.
 */
import type { Auction, Bid } from '../connectors/nexmark/model.ts';
import type { BiddingCounts, DayStats } from './calculations.ts';

/** q0, q1 (price converted), q7. */
export interface BidRow {
  auction: number;
  bidder: number;
  price: number;
  dateTime: number;
  extra: string;
}

/** A bid's columns of q0 (and of q7's and q10's rows). */
export function bidRow(b: Bid): BidRow {
  return { auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra };
}

/** q10 with its partition columns (in files they are the directories: `dt=…/hm=…`). */
export interface PartitionedBidRow extends BidRow {
  dt: string;
  hm: string;
}

/** q2. */
export interface AuctionPriceRow {
  auction: number;
  price: number;
}

/** q3. */
export interface LocalItemRow {
  name: string;
  city: string;
  state: string;
  id: number;
}

/** q4: a category's average winning price so far (`final`, truncated as SQL's AVG of BIGINT), after `auctions` closed auctions (extra). */
export interface CategoryPriceRow {
  id: number;
  final: number;
  auctions: number;
}

/** q6: a seller's average closing price over its last 10 closed auctions (truncated, as AVG of BIGINT), after the close of `auction` (extra). */
export interface SellerPriceRow {
  seller: number;
  avg_price: number;
  auction: number;
}

/** q5: an auction with the most bids of a sliding window; the window's bounds are extra. */
export interface HotItemRow {
  auction: number;
  num: number;
  starttime: number;
  endtime: number;
}

/** q8: a person who opened an account and an auction in the same 10 s window. */
export interface NewUserRow {
  id: number;
  name: string;
  stime: number;
}

/** q9: an auction with its winning bid. */
export interface WinningBidRow extends Auction {
  bidder: number;
  price: number;
  bid_dateTime: number;
  bid_extra: string;
}

/** q11 and q12: bids of a bidder in a window (a session for q11, 10 s of processing time for q12). */
export interface BidderCountRow {
  bidder: number;
  bid_count: number;
  starttime: number;
  endtime: number;
}

/** q14: a bid whose price in euros lies in (1 000 000, 50 000 000), with when in the day it was made and how many 'c's its extra holds. */
export interface BidCalculationRow {
  auction: number;
  bidder: number;
  /** In euros (× 0.908, as q1). */
  price: number;
  bidTimeType: 'dayTime' | 'nightTime' | 'otherTime';
  dateTime: number;
  extra: string;
  c_counts: number;
}

/** q21: a bid with the id of its channel: 0–3 for the four named channels, else the URL's channel_id parameter. */
export interface ChannelIdRow {
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  channel_id: string;
}

/** q22: a bid with the first three directories of its URL (null where the URL has fewer parts). */
export interface UrlDirectoriesRow {
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  dir1: string | null;
  dir2: string | null;
  dir3: string | null;
}

/** q20: a bid with its auction, for auctions of category 10. */
export interface BidAuctionRow {
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  url: string;
  bid_dateTime: number;
  bid_extra: string;
  itemName: string;
  description: string;
  initialBid: number;
  reserve: number;
  auction_dateTime: number;
  expires: number;
  seller: number;
  category: number;
  auction_extra: string;
}

/** q20's row of a bid and its auction. */
export function bidAuctionRow(b: Bid, a: Auction): BidAuctionRow {
  return {
    auction: b.auction,
    bidder: b.bidder,
    price: b.price,
    channel: b.channel,
    url: b.url,
    bid_dateTime: b.dateTime,
    bid_extra: b.extra,
    itemName: a.itemName,
    description: a.description,
    initialBid: a.initialBid,
    reserve: a.reserve,
    auction_dateTime: a.dateTime,
    expires: a.expires,
    seller: a.seller,
    category: a.category,
    auction_extra: a.extra,
  };
}

/** q17: an auction's bids of one day so far (an update of the row of (auction, day) per bid). */
export interface AuctionDayStatsRow {
  auction: number;
  day: string;
  total_bids: number;
  rank1_bids: number;
  rank2_bids: number;
  rank3_bids: number;
  min_price: number;
  max_price: number;
  /** Truncated, as SQL's AVG of BIGINT. */
  avg_price: number;
  sum_price: number;
}

/** q17's row of (auction, day) from its running figures. */
export function auctionDayStatsRow(auction: number, day: string, s: DayStats): AuctionDayStatsRow {
  return {
    auction,
    day,
    total_bids: s.total,
    rank1_bids: s.rank1,
    rank2_bids: s.rank2,
    rank3_bids: s.rank3,
    min_price: s.min,
    max_price: s.max,
    avg_price: Math.trunc(s.sum / s.total),
    sum_price: s.sum,
  };
}

/** q18: a bidder's last bid on an auction so far (an update of the row of (bidder, auction)): every column of the bid. */
export type LastBidRow = Bid;

/** q19: a bid at `rank_number` (1–10) of its auction's bids by price (an update of the row of (auction, rank_number)). */
export interface RankedBidRow extends Bid {
  rank_number: number;
}

/** q15: the bids of a day so far, counted in price bands, with distinct bidders and auctions (an update of the row of the day). */
export interface BiddingStatsRow {
  day: string;
  total_bids: number;
  rank1_bids: number;
  rank2_bids: number;
  rank3_bids: number;
  total_bidders: number;
  rank1_bidders: number;
  rank2_bidders: number;
  rank3_bidders: number;
  total_auctions: number;
  rank1_auctions: number;
  rank2_auctions: number;
  rank3_auctions: number;
}

/** q16: the same per channel and day, with the latest minute ('HH:mm') of the day seen. */
export interface ChannelStatsRow extends BiddingStatsRow {
  channel: string;
  minute: string;
}

/** q15's and q16's count columns from their figures. */
export function biddingStatsRow(day: string, c: BiddingCounts): BiddingStatsRow {
  return {
    day,
    total_bids: c.bids[0],
    rank1_bids: c.bids[1],
    rank2_bids: c.bids[2],
    rank3_bids: c.bids[3],
    total_bidders: c.bidders[0],
    rank1_bidders: c.bidders[1],
    rank2_bidders: c.bidders[2],
    rank3_bidders: c.bidders[3],
    total_auctions: c.auctions[0],
    rank1_auctions: c.auctions[1],
    rank2_auctions: c.auctions[2],
    rank3_auctions: c.auctions[3],
  };
}

/** q13: a bid with the side input's value for its auction (mod 10 000). */
export interface SideInputBidRow {
  auction: number;
  bidder: number;
  price: number;
  dateTime: number;
  value: string;
}
