/**
 * The Nexmark event model, in the shape of the Nexmark suite's Flink DDL (`ddl_gen.sql`): one
 * record per event, `event_type` 0 (person), 1 (auction) or 2 (bid), exactly one of the three
 * nested rows set and the other two null. Column names are the DDL's; TIMESTAMP(3) columns are
 * epoch milliseconds (numbers). The event time of an event is its row's `dateTime`.
 */

export interface Person {
  id: number;
  name: string;
  emailAddress: string;
  creditCard: string;
  city: string;
  state: string;
  dateTime: number;
  extra: string;
}

export interface Auction {
  id: number;
  itemName: string;
  description: string;
  initialBid: number;
  reserve: number;
  dateTime: number;
  expires: number;
  seller: number;
  category: number;
  extra: string;
}

export interface Bid {
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  url: string;
  dateTime: number;
  extra: string;
}

export const PERSON = 0;
export const AUCTION = 1;
export const BID = 2;

export type NexmarkEvent =
  | { event_type: 0; person: Person; auction: null; bid: null }
  | { event_type: 1; person: null; auction: Auction; bid: null }
  | { event_type: 2; person: null; auction: null; bid: Bid };

/** The event time of an event: its row's dateTime (the DDL's computed `dateTime` column). */
export function nexmarkEventTime(e: NexmarkEvent): number {
  return e.event_type === PERSON ? e.person.dateTime : e.event_type === AUCTION ? e.auction.dateTime : e.bid.dateTime;
}
