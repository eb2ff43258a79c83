/**
 * Event number n → event, a pure function of (options, n): the benchmark's definition, in weir's
 * own code.
 *
 *  - Kind: in every group of totalProportion (50) consecutive numbers the first personProportion (1)
 *    are persons, the next auctionProportion (3) auctions, the rest (46) bids.
 *  - Ids: a person gets the next person id, an auction the next auction id (both from 1000), so
 *    ids follow from n by arithmetic (config.ts).
 *  - A bid's auction: with probability 1 − 1/hotAuctionRatio the hot auction (the first of the
 *    newest batch of 100 auction ids), else a uniform pick among the inFlightAuctions newest
 *    auctions plus idLead ids not created yet. Its bidder: with probability 1 − 1/hotBiddersRatio
 *    the hot bidder (the second of the newest batch of 100 person ids, so it is not the hot
 *    seller), else a uniform pick among the activePeople newest people plus idLead. An auction's
 *    seller likewise (hotSellersRatio; the hot seller is the first of the batch).
 *  - Prices: round(10^(6u) × 100) cents for uniform u: log-uniform from 1 to 1 000 000 dollars.
 *    An auction's reserve is its initial bid plus another such price.
 *  - Category: 10 + uniform 0..4.
 *  - Time: the nominal event time of n is base + n × (10⁶ / eventsPerSec) µs, in whole ms. An
 *    auction expires 1 + uniform[0, 2h) ms after it, where h is the event-time span of the events
 *    that create the next inFlightAuctions auctions, so about inFlightAuctions auctions are open at
 *    any time. With disorder, a share of events gets a dateTime 1..outOfOrderMaxMs ms earlier than
 *    nominal (the rest of the row is unchanged, `expires` included).
 *  - `extra` pads each row to its average size (±20 %).
 */
import {
  categories,
  firstAuctionId,
  firstCategoryId,
  firstPersonId,
  hotBatch,
  idLead,
  kindOfEvent,
  lastAuctionIndex,
  lastPersonIndex,
  timestampForEvent,
  type NexmarkConfig,
} from './config.ts';
import type { Auction, Bid, NexmarkEvent, Person } from './model.ts';
import { EventRandom } from './random.ts';
import { randomCreditCard, randomEmail, randomExtra, randomString, randomUrl, reverseBits32 } from './strings.ts';

const usStates = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
const usCities = ['Phoenix', 'Los Angeles', 'San Francisco', 'Boise', 'Portland', 'Bend', 'Redmond', 'Seattle', 'Kent', 'Cheyenne'];
const firstNames = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter'];
const lastNames = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];
const hotChannels = ['Google', 'Facebook', 'Baidu', 'Apple'];
const channelCount = 10_000;
/** Salts of the streams that are not the event's own. */
const disorderSalt = 0x68e31da4;
const urlSalt = 0x3c6ef372;

export class NexmarkEventMaker {
  private readonly random: EventRandom;
  private readonly side: EventRandom;
  private readonly hotUrls: string[];
  private readonly channelUrls: Array<string | undefined> = new Array(channelCount);
  /** Events between an auction and the one inFlightAuctions auctions later. */
  private readonly auctionHorizonEvents: number;

  constructor(private readonly c: NexmarkConfig) {
    this.random = new EventRandom(c.seed);
    this.side = new EventRandom(c.seed);
    this.hotUrls = hotChannels.map((_, i) => this.urlOf(-1 - i));
    this.auctionHorizonEvents = Math.floor((c.inFlightAuctions * c.totalProportion) / c.auctionProportion);
  }

  event(n: number): NexmarkEvent {
    const c = this.c;
    const nominalMs = timestampForEvent(c, n);
    let dateTime = nominalMs;
    if (c.outOfOrderThreshold32 > 0) {
      this.side.reset(n, disorderSalt);
      if (this.side.next32() < c.outOfOrderThreshold32) dateTime -= 1 + this.side.nextInt(c.outOfOrderMaxMs);
    }
    this.random.reset(n);
    switch (kindOfEvent(c, n)) {
      case 0:
        return { event_type: 0, person: this.person(n, dateTime), auction: null, bid: null };
      case 1:
        return { event_type: 1, person: null, auction: this.auction(n, nominalMs, dateTime), bid: null };
      default:
        return { event_type: 2, person: null, auction: null, bid: this.bid(n, dateTime) };
    }
  }

  private person(n: number, dateTime: number): Person {
    const r = this.random;
    const name = `${firstNames[r.nextInt(firstNames.length)]} ${lastNames[r.nextInt(lastNames.length)]}`;
    const emailAddress = randomEmail(r);
    const creditCard = randomCreditCard(r);
    const city = usCities[r.nextInt(usCities.length)];
    const state = usStates[r.nextInt(usStates.length)];
    const size = 8 + name.length + emailAddress.length + creditCard.length + city.length + state.length;
    const extra = randomExtra(r, this.c.seed, size, this.c.avgPersonBytes);
    return { id: firstPersonId + lastPersonIndex(this.c, n), name, emailAddress, creditCard, city, state, dateTime, extra };
  }

  private auction(n: number, nominalMs: number, dateTime: number): Auction {
    const c = this.c;
    const r = this.random;
    const seller =
      firstPersonId + (r.nextInt(c.hotSellersRatio) > 0 ? Math.floor(lastPersonIndex(c, n) / hotBatch) * hotBatch : this.activePerson(n));
    const category = firstCategoryId + r.nextInt(categories);
    const initialBid = randomPrice(r);
    const horizonMs = timestampForEvent(c, n + this.auctionHorizonEvents) - nominalMs;
    const expires = nominalMs + 1 + r.nextInt(Math.max(2 * horizonMs, 1));
    const itemName = randomString(r, 20);
    const description = randomString(r, 100);
    const reserve = initialBid + randomPrice(r);
    const size = 8 + itemName.length + description.length + 8 + 8 + 8 + 8 + 8;
    const extra = randomExtra(r, c.seed, size, c.avgAuctionBytes);
    return { id: firstAuctionId + lastAuctionIndex(c, n), itemName, description, initialBid, reserve, dateTime, expires, seller, category, extra };
  }

  private bid(n: number, dateTime: number): Bid {
    const c = this.c;
    const r = this.random;
    const newestAuction = Math.max(lastAuctionIndex(c, n), 0);
    let auction: number;
    if (r.nextInt(c.hotAuctionRatio) > 0) {
      auction = Math.floor(newestAuction / hotBatch) * hotBatch;
    } else {
      const oldest = Math.max(newestAuction - c.inFlightAuctions, 0);
      auction = oldest + r.nextInt(newestAuction - oldest + 1 + idLead);
    }
    const bidder =
      firstPersonId + (r.nextInt(c.hotBiddersRatio) > 0 ? Math.floor(lastPersonIndex(c, n) / hotBatch) * hotBatch + 1 : this.activePerson(n));
    const price = randomPrice(r);
    let channel: string;
    let url: string;
    if (r.nextInt(2) > 0) {
      const i = r.nextInt(hotChannels.length);
      channel = hotChannels[i];
      url = this.hotUrls[i];
    } else {
      const i = r.nextInt(channelCount);
      channel = `channel-${i}`;
      url = this.channelUrls[i] ??= this.urlOf(i);
    }
    const extra = randomExtra(r, c.seed, 8 + 8 + 8 + 8, c.avgBidBytes);
    return { auction: firstAuctionId + auction, bidder, price, channel, url, dateTime, extra };
  }

  /** A person id (base 0) among the activePeople newest, or up to idLead ids beyond the newest. */
  private activePerson(n: number): number {
    const people = lastPersonIndex(this.c, n) + 1;
    const active = Math.min(people, this.c.activePeople);
    return people - active + this.random.nextInt(active + idLead);
  }

  /** URL of channel i (negative: the hot channels), a function of the seed alone. Most carry the channel's id. */
  private urlOf(i: number): string {
    const r = this.side;
    r.reset(i + 16, urlSalt);
    const base = randomUrl(r);
    return i >= 0 && r.nextInt(10) > 0 ? `${base}&channel_id=${Math.abs(reverseBits32(i))}` : base;
  }
}

function randomPrice(r: EventRandom): number {
  return Math.round(Math.pow(10, r.nextDouble() * 6) * 100);
}
