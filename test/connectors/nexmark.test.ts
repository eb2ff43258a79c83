// The Nexmark generator: determinism, the benchmark's proportions and id rules, event time with and
// without disorder, the partition split, resuming, and the JSON-lines and embedded-log writers.
import { describe, expect, it } from 'vitest';
import { jsonLinesSource, logSource } from '../../src/connectors/index.ts';
import {
  firstAuctionId,
  firstPersonId,
  nexmarkEvent,
  nexmarkEvents,
  nexmarkEventTime,
  nexmarkSource,
  writeNexmarkJsonLines,
  writeNexmarkLog,
  type NexmarkEvent,
  type NexmarkOptions,
} from '../../src/connectors/nexmark/index.ts';
import { idLead } from '../../src/connectors/nexmark/config.ts';
import type { SourceReader } from '../../src/connectors/types.ts';
import { readAll, tempDir } from '../helpers.ts';
import { CollectingOutput, drain, sourceContext } from './util.ts';

function readPartition(opts: NexmarkOptions, partition: number, from?: number, max = 97) {
  const spec = nexmarkSource(opts);
  const reader = spec.open(partition, sourceContext(partition, spec.partitions()), from) as SourceReader<NexmarkEvent>;
  const out = new CollectingOutput<NexmarkEvent>();
  drain(reader, out, max);
  return out.records;
}

const nominalMs = (n: number) => 1_700_000_000_000 + Math.floor(n / 10); // 10 000 events/s of event time

describe('nexmark generator', () => {
  it('is deterministic: the same seed gives the same events, another seed others', () => {
    const a = [...nexmarkEvents({ count: 3000, seed: 5 })];
    const b = [...nexmarkEvents({ count: 3000, seed: 5 })];
    const c = [...nexmarkEvents({ count: 3000, seed: 6 })];
    expect(b).toEqual(a);
    const bidsA = a.filter((e) => e.bid).map((e) => e.bid!.price);
    const bidsC = c.filter((e) => e.bid).map((e) => e.bid!.price);
    expect(bidsA.filter((p, i) => p === bidsC[i]).length).toBeLessThan(bidsA.length / 100);
    expect(nexmarkEvent({ seed: 5 }, 1234)).toEqual(a[1234]); // any event on its own
  });

  it('keeps the proportions 1 person : 3 auctions : 46 bids in every group of 50 events, in the DDL shape', () => {
    const events = [...nexmarkEvents({ count: 5000, seed: 1 })];
    for (let n = 0; n < events.length; n++) {
      const e = events[n];
      const expected = n % 50 === 0 ? 0 : n % 50 < 4 ? 1 : 2;
      expect(e.event_type).toBe(expected);
      expect([e.person !== null, e.auction !== null, e.bid !== null]).toEqual([expected === 0, expected === 1, expected === 2]);
    }
    const person = events[0].person!;
    expect(Object.keys(person)).toEqual(['id', 'name', 'emailAddress', 'creditCard', 'city', 'state', 'dateTime', 'extra']);
    expect(Object.keys(events[1].auction!)).toEqual(['id', 'itemName', 'description', 'initialBid', 'reserve', 'dateTime', 'expires', 'seller', 'category', 'extra']);
    expect(Object.keys(events[4].bid!)).toEqual(['auction', 'bidder', 'price', 'channel', 'url', 'dateTime', 'extra']);
  });

  it('numbers persons and auctions from 1000; bids, sellers and bidders reference existing ids or at most 10 ahead; hot ids dominate', () => {
    const events = [...nexmarkEvents({ count: 20_000, seed: 2 })];
    let newestPerson = firstPersonId - 1;
    let newestAuction = firstAuctionId - 1;
    const bidsPerAuction = new Map<number, number>();
    let bids = 0;
    let bidsOnExisting = 0;
    const categories = new Set<number>();
    for (const e of events) {
      if (e.person) {
        expect(e.person.id).toBe(newestPerson + 1);
        newestPerson = e.person.id;
        expect(['AZ', 'CA', 'ID', 'OR', 'WA', 'WY']).toContain(e.person.state);
      } else if (e.auction) {
        expect(e.auction.id).toBe(newestAuction + 1);
        newestAuction = e.auction.id;
        expect(e.auction.seller).toBeGreaterThanOrEqual(firstPersonId);
        expect(e.auction.seller).toBeLessThanOrEqual(newestPerson + idLead);
        expect(e.auction.expires).toBeGreaterThan(e.auction.dateTime);
        expect(e.auction.reserve).toBeGreaterThan(e.auction.initialBid);
        categories.add(e.auction.category);
      } else {
        const bid = e.bid!;
        bids++;
        expect(bid.auction).toBeGreaterThanOrEqual(firstAuctionId);
        expect(bid.auction).toBeLessThanOrEqual(newestAuction + idLead);
        expect(bid.auction).toBeGreaterThan(newestAuction - 100 - 100); // in flight or the hot batch
        expect(bid.bidder).toBeGreaterThanOrEqual(firstPersonId);
        expect(bid.bidder).toBeLessThanOrEqual(newestPerson + idLead);
        expect(bid.price).toBeGreaterThanOrEqual(100);
        expect(bid.price).toBeLessThanOrEqual(100_000_000);
        if (bid.auction <= newestAuction) bidsOnExisting++;
        bidsPerAuction.set(bid.auction, (bidsPerAuction.get(bid.auction) ?? 0) + 1);
      }
    }
    expect([...categories].sort()).toEqual([10, 11, 12, 13, 14]);
    expect(bidsOnExisting / bids).toBeGreaterThan(0.9);
    // Half the bids go to the hot auction of their time (multiples of 100 above 1000).
    const onHot = [...bidsPerAuction].filter(([id]) => (id - firstAuctionId) % 100 === 0).reduce((s, [, n]) => s + n, 0);
    expect(onHot / bids).toBeGreaterThan(0.45);
  });

  it('keeps each partition in event-time order without disorder, and within the bound with it', () => {
    for (let p = 0; p < 3; p++) {
      const records = readPartition({ partitions: 3, count: 6000, seed: 3 }, p);
      expect(records.length).toBe(2000);
      records.forEach((r, k) => {
        expect(r.timestampMs).toBe(nexmarkEventTime(r.value));
        expect(r.timestampMs).toBe(nominalMs(p + 3 * k));
        if (k > 0) expect(r.timestampMs).toBeGreaterThanOrEqual(records[k - 1].timestampMs);
      });
    }
    const disorderMs = 3000;
    let moved = 0;
    for (let p = 0; p < 2; p++) {
      const records = readPartition({ partitions: 2, count: 40_000, seed: 3, outOfOrderMaxMs: disorderMs }, p);
      let maxSeenMs = -Infinity;
      let backwards = 0;
      records.forEach((r, k) => {
        const shiftMs = nominalMs(p + 2 * k) - r.timestampMs;
        expect(shiftMs).toBeGreaterThanOrEqual(0);
        expect(shiftMs).toBeLessThanOrEqual(disorderMs);
        if (shiftMs > 0) moved++;
        if (r.timestampMs < maxSeenMs) backwards++;
        expect(maxSeenMs - r.timestampMs).toBeLessThanOrEqual(disorderMs);
        maxSeenMs = Math.max(maxSeenMs, r.timestampMs);
      });
      expect(backwards).toBeGreaterThan(400); // really out of order
    }
    expect(moved / 40_000).toBeGreaterThan(0.08);
    expect(moved / 40_000).toBeLessThan(0.12);
  });

  it('splits the event numbers over partitions: together they are exactly the one-partition stream', async () => {
    const single = [...nexmarkEvents({ count: 4000, seed: 9, outOfOrderMaxMs: 2000 })].map((e) => JSON.stringify(e));
    const split = await readAll(nexmarkSource({ partitions: 3, count: 4000, seed: 9, outOfOrderMaxMs: 2000 }));
    expect(split.length).toBe(4000);
    for (const r of split) expect(JSON.stringify(r.value)).toBe(single[r.partition + 3 * r.offset]);
    expect(split.map((r) => JSON.stringify(r.value)).sort()).toEqual([...single].sort());
  });

  it('resumes a partition from a position with the same events', () => {
    const opts = { partitions: 2, count: 1000, seed: 4 };
    const whole = readPartition(opts, 1);
    const resumed = readPartition(opts, 1, 123);
    expect(resumed.map((r) => r.value)).toEqual(whole.slice(123).map((r) => r.value));
    expect(resumed[0].offset).toBe(123);
  });

  it('writes JSON-lines files and an embedded log that read back as the same events', async () => {
    const dir = tempDir('weir-nexmark-');
    try {
      const opts = { partitions: 2, count: 3000, seed: 8, outOfOrderMaxMs: 500 };
      const expected = await readAll(nexmarkSource(opts));
      const paths = writeNexmarkJsonLines(dir.path, opts);
      expect(paths.length).toBe(2);
      const fromFiles = await readAll(jsonLinesSource<NexmarkEvent>({ path: paths }));
      expect(fromFiles.map((r) => [r.partition, r.value])).toEqual(expected.map((r) => [r.partition, r.value]));
      writeNexmarkLog(`${dir.path}/log`, opts);
      const fromLog = await readAll(logSource<NexmarkEvent>({ dir: `${dir.path}/log` }));
      expect(fromLog.map((r) => [r.partition, r.offset, r.value])).toEqual(expected.map((r) => [r.partition, r.offset, r.value]));
    } finally {
      dir.remove();
    }
  });

  it('rejects bad options with WEIR_CONFIG', () => {
    expect(() => nexmarkSource({ partitions: 0 })).toThrow(expect.objectContaining({ code: 'WEIR_CONFIG' }));
    expect(() => nexmarkSource({ eventsPerSec: 0 })).toThrow(/eventsPerSec/);
    expect(() => nexmarkSource({ outOfOrderMaxMs: -1 })).toThrow(/outOfOrderMaxMs/);
    expect(() => [...nexmarkEvents({})]).toThrow(/needs a count/);
    const spec = nexmarkSource({ count: 10 });
    expect(() => spec.open(0, sourceContext(0, 1), 'x')).toThrow(expect.objectContaining({ code: 'WEIR_SOURCE' }));
  });
});
