// Every Nexmark query on real worker threads, in both execution modes, against the query computed
// by its definition over the whole input (brute-force.ts), and the plain single-thread program of
// native-bench/nexmark against the same. The input is small and out of order (up to 3 s), its
// event time slow enough (100 events/s) to span many windows; the watermark bound (4 s) is larger
// than the disorder, so no record is late anywhere and the definition is the exact answer.
import { describe, expect, it } from 'vitest';
import { nexmarkEvents, type NexmarkEvent } from '../../src/connectors/nexmark/index.ts';
import { writeNexmarkJsonLines, writeNexmarkLog } from '../../src/connectors/nexmark/write.ts';
import { nexmarkSideInput, writeNexmarkSideInput } from '../../src/connectors/nexmark/side-input.ts';
import { run } from '../../src/runtime/index.ts';
import type { AuctionDayStatsRow, BidderCountRow, BiddingStatsRow, CategoryPriceRow, LastBidRow, RankedBidRow } from '../../src/nexmark/rows.ts';
import { betterBid } from '../../src/nexmark/winning-bids.ts';
import { laterBid } from '../../src/nexmark/calculations.ts';
import { baselines } from '../../native-bench/nexmark/index.ts';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCommittedLines } from '../../src/connectors/index.ts';
import { tempDir } from '../helpers.ts';
import * as brute from './brute-force.ts';

const events = 6000;
const generatorOptions = { count: events, seed: 11, outOfOrderMaxMs: 3000, eventsPerSec: 100 };
const params = { events: String(events), partitions: '2', seed: '11', disorderMs: '3000', eventsPerSec: '100', watermarkMs: '4000' };
const input: NexmarkEvent[] = [...nexmarkEvents(generatorOptions)];

/** Rows as sorted canonical strings (keys sorted), so row sets compare whatever the key order. */
function rowSet(rows: unknown[]): string[] {
  const canonical = (row: unknown) => JSON.stringify(row, Object.keys(row as object).sort());
  return rows.map(canonical).sort();
}

function baselineRows(query: string): unknown[] {
  const rows: unknown[] = [];
  baselines[query](input, (row) => rows.push(row), { watermarkMs: 4000 });
  return rows;
}

async function weirRows(query: string, mode: 'continuous' | 'micro-batch', extra: Record<string, string> = {}): Promise<unknown[]> {
  const job = new URL(`../../src/nexmark/queries/${query}.ts`, import.meta.url);
  const result = await (await run(job, { mode, parallelism: 2, params: { ...params, ...extra }, microBatchIntervalMs: 20 })).done;
  expect(result.metrics.deadLetters).toBe(0);
  return result.results[query] as unknown[];
}

/** Of rows that update a key again and again, each key's final one: the one `later` than every other of its key. */
function finalPerKey<R>(rows: R[], keyOf: (row: R) => string, later: (a: R, b: R) => boolean): R[] {
  const final = new Map<string, R>();
  for (const r of rows) {
    const k = keyOf(r);
    const seen = final.get(k);
    if (seen === undefined || later(r, seen)) final.set(k, r);
  }
  return [...final.values()];
}

/** q4's rows are updates; what is comparable is each category's last one (the most auctions). */
function q4Finals(rows: unknown[]): CategoryPriceRow[] {
  const last = new Map<number, CategoryPriceRow>();
  for (const r of rows as CategoryPriceRow[]) if ((last.get(r.id)?.auctions ?? 0) < r.auctions) last.set(r.id, r);
  return [...last.values()];
}

const exact: Record<string, (events: NexmarkEvent[]) => unknown[]> = {
  q0: brute.q0,
  q1: brute.q1,
  q2: brute.q2,
  q3: brute.q3,
  q5: brute.q5,
  q6: brute.q6,
  q7: brute.q7,
  q8: brute.q8,
  q9: brute.q9,
  q10: brute.q10,
  q11: brute.q11,
  q13: brute.q13With(nexmarkSideInput(1)),
  q14: brute.q14,
  q20: brute.q20,
  q21: brute.q21,
  q22: brute.q22,
};

describe('nexmark queries', () => {
  it('has an input that exercises the queries', () => {
    expect(brute.q2(input).length).toBeGreaterThan(0);
    expect(brute.q3(input).length).toBeGreaterThan(0);
    expect(brute.q7(input).length).toBeGreaterThan(5);
    expect(brute.q8(input).length).toBeGreaterThan(0);
    expect(brute.q9(input).length).toBeGreaterThan(100);
    // q6: a seller (the hot one) with more closed auctions than its average covers.
    const closesPerSeller = new Map<number, number>();
    for (const r of brute.q6(input)) closesPerSeller.set(r.seller, (closesPerSeller.get(r.seller) ?? 0) + 1);
    expect(Math.max(...closesPerSeller.values())).toBeGreaterThan(20);
    expect(new Set(brute.q5(input).map((r) => r.starttime)).size).toBeGreaterThan(20);
    // q14's price range, q21's every channel id and bids it drops (q14's times of day: below).
    expect(brute.q14(input).length).toBeGreaterThan(100);
    expect(brute.q20(input).length).toBeGreaterThan(100);
    expect(brute.q14(input).some((r) => r.c_counts > 0)).toBe(true);
    const ids = brute.q21(input).map((r) => r.channel_id);
    for (const named of ['0', '1', '2', '3']) expect(ids).toContain(named);
    expect(ids.some((id) => Number(id) > 3)).toBe(true);
    expect(ids.length).toBeLessThan(brute.q0(input).length);
  });

  for (const [query, definition] of Object.entries(exact)) {
    it(`${query}: the single-thread baseline = the definition`, () => {
      expect(rowSet(baselineRows(query))).toEqual(rowSet(definition(input)));
    });
    for (const mode of ['continuous', 'micro-batch'] as const) {
      it(`${query} (${mode}) = the definition`, async () => {
        expect(rowSet(await weirRows(query, mode))).toEqual(rowSet(definition(input)));
      });
    }
  }

  it('q10 writes every bid into its partition directory dt=…/hm=…, committed once, in both modes', async () => {
    const expected = rowSet(brute.q10(input));
    expect(new Set(brute.q10(input).map((r) => r.hm)).size).toBeGreaterThan(1); // 60 s of event time: two minutes
    for (const mode of ['continuous', 'micro-batch'] as const) {
      const dir = tempDir('weir-nexmark-q10-');
      try {
        const committed = (await weirRows('q10', mode, { sink: 'file', dir: dir.path })) as Array<{ committedLines: number }>;
        expect(committed.reduce((n, r) => n + r.committedLines, 0)).toBe(brute.q10(input).length);
        const rows: unknown[] = [];
        for (const dt of readdirSync(dir.path)) {
          for (const hm of readdirSync(join(dir.path, dt))) {
            expect([dt.slice(0, 3), hm.slice(0, 3)]).toEqual(['dt=', 'hm=']);
            for (const line of readCommittedLines(join(dir.path, dt, hm))) rows.push({ ...(JSON.parse(line) as object), dt: dt.slice(3), hm: hm.slice(3) });
          }
        }
        expect(rowSet(rows)).toEqual(expected);
      } finally {
        dir.remove();
      }
    }
  });

  it('q14 over most of a day of event time: every time of day, the baseline and both modes = the definition', async () => {
    // 6 000 events 10 s apart: from 22:13 UTC to 14:53 the next day.
    const slow = { ...generatorOptions, eventsPerSec: 0.1 };
    const day = [...nexmarkEvents(slow)];
    const expected = rowSet(brute.q14(day));
    expect(new Set(brute.q14(day).map((r) => r.bidTimeType))).toEqual(new Set(['dayTime', 'nightTime', 'otherTime']));
    const byHand: unknown[] = [];
    baselines.q14(day, (row) => byHand.push(row), { watermarkMs: 4000 });
    expect(rowSet(byHand)).toEqual(expected);
    for (const mode of ['continuous', 'micro-batch'] as const) expect(rowSet(await weirRows('q14', mode, { eventsPerSec: '0.1' }))).toEqual(expected);
  });

  // q17 and q18 emit a row per key again with each update: what compares is each key's final row,
  // found without relying on the order rows were collected in (q17's counts only grow; q18's
  // final bid is the latest by its order).
  const q17Finals = (rows: unknown[]) => finalPerKey(rows as AuctionDayStatsRow[], (r) => `${r.auction}/${r.day}`, (a, b) => a.total_bids > b.total_bids);
  const q18Finals = (rows: unknown[]) => finalPerKey(rows as LastBidRow[], (r) => `${r.bidder}/${r.auction}`, laterBid);

  it('q17 over most of a day and the next: the final row per auction and day; a row per batch of bids, at most one per bid', async () => {
    const slow = { ...generatorOptions, eventsPerSec: 0.1 };
    const day = [...nexmarkEvents(slow)];
    const expected = rowSet(brute.q17Final(day));
    expect(new Set(brute.q17Final(day).map((r) => r.day)).size).toBe(2);
    const byHand: unknown[] = [];
    baselines.q17(day, (row) => byHand.push(row), { watermarkMs: 4000 });
    expect(rowSet(q17Finals(byHand))).toEqual(expected);
    for (const mode of ['continuous', 'micro-batch'] as const) {
      const rows = await weirRows('q17', mode, { eventsPerSec: '0.1' });
      expect(rowSet(q17Finals(rows))).toEqual(expected);
      expect(rows.length).toBeLessThanOrEqual(brute.q0(day).length);
    }
  });

  it('q15 and q16 over most of a day and the next: the final row per day (and channel) = the definition; a row per batch of bids, at most one per bid', async () => {
    // Each group's counts only grow, and every update adds to one of them (bids, or bidders or
    // auctions new to the group): its final row is the one with the largest sum of counts.
    const countsIn = (r: BiddingStatsRow) => r.total_bids + r.total_bidders + r.total_auctions + r.rank1_bidders + r.rank2_bidders + r.rank3_bidders + r.rank1_auctions + r.rank2_auctions + r.rank3_auctions;
    const finals = (rows: unknown[], keyOf: (r: BiddingStatsRow & { channel?: string }) => string) =>
      finalPerKey(rows as Array<BiddingStatsRow & { channel?: string }>, keyOf, (a, b) => countsIn(a) > countsIn(b));
    const day = [...nexmarkEvents({ ...generatorOptions, eventsPerSec: 0.1 })];
    const cases = [
      { query: 'q15', definition: brute.q15Final, keyOf: (r: BiddingStatsRow) => r.day },
      { query: 'q16', definition: brute.q16Final, keyOf: (r: BiddingStatsRow & { channel?: string }) => `${r.channel}/${r.day}` },
    ];
    for (const { query, definition, keyOf } of cases) {
      const expected = rowSet(definition(day));
      const byHand: unknown[] = [];
      baselines[query](day, (row) => byHand.push(row), { watermarkMs: 4000 });
      expect(rowSet(finals(byHand, keyOf))).toEqual(expected);
      for (const mode of ['continuous', 'micro-batch'] as const) {
        const rows = await weirRows(query, mode, { eventsPerSec: '0.1' });
        expect(rowSet(finals(rows, keyOf))).toEqual(expected);
        expect(rows.length).toBeLessThanOrEqual(brute.q0(day).length);
      }
    }
    expect(brute.q15Final(day).map((r) => r.day).sort()).toEqual(['2023-11-14', '2023-11-15']);
    expect(brute.q16Final(day).length).toBeGreaterThan(4);
  });

  it('q18: the final row per bidder and auction = the definition, in both modes and by hand', async () => {
    const expected = rowSet(brute.q18Final(input));
    expect(expected.length).toBeLessThan(brute.q0(input).length); // some bidders bid on an auction more than once
    expect(rowSet(q18Finals(baselineRows('q18')))).toEqual(expected);
    for (const mode of ['continuous', 'micro-batch'] as const) expect(rowSet(q18Finals(await weirRows('q18', mode)))).toEqual(expected);
  });

  it('q19: the final row per auction and rank = the definition, in both modes and by hand', async () => {
    // The bid at a rank only ever gets better as bids come, so the final one is the best seen.
    const q19Finals = (rows: unknown[]) => finalPerKey(rows as RankedBidRow[], (r) => `${r.auction}/${r.rank_number}`, betterBid);
    const expected = rowSet(brute.q19Final(input));
    expect(brute.q19Final(input).some((r) => r.rank_number === 10)).toBe(true);
    expect(rowSet(q19Finals(baselineRows('q19')))).toEqual(expected);
    for (const mode of ['continuous', 'micro-batch'] as const) expect(rowSet(q19Finals(await weirRows('q19', mode)))).toEqual(expected);
  });

  it('q13 reads its side input from a CSV file as well; a malformed line fails the job naming the line', async () => {
    const dir = tempDir('weir-nexmark-q13-');
    try {
      const file = `${dir.path}/side_input.csv`;
      writeNexmarkSideInput(file, 5);
      expect(readFileSync(file, 'utf8').split('\n')[3]).toMatch(/^3,3-[0-9a-z]{7}$/);
      const expected = rowSet(brute.q13With(nexmarkSideInput(5))(input));
      expect(rowSet(await weirRows('q13', 'continuous', { sideInput: file }))).toEqual(expected);
      writeFileSync(file, '0,a\nnot a row\n');
      const handle = await run(new URL('../../src/nexmark/queries/q13.ts', import.meta.url), { params: { ...params, sideInput: file } });
      await expect(handle.done).rejects.toThrow(/side_input\.csv, line 2: not "key,value"/);
    } finally {
      dir.remove();
    }
  });

  it('q4: the baseline\'s last row per category = the definition', () => {
    expect(rowSet(q4Finals(baselineRows('q4')))).toEqual(rowSet(brute.q4Final(input)));
  });
  for (const mode of ['continuous', 'micro-batch'] as const) {
    it(`q4 (${mode}): the last row per category = the definition; one row per decided auction`, async () => {
      const rows = await weirRows('q4', mode);
      expect(rowSet(q4Finals(rows))).toEqual(rowSet(brute.q4Final(input)));
      expect(rows.length).toBe(brute.q9(input).length);
    });
  }

  const checkQ12 = (rows: BidderCountRow[], windowMs: number) => {
    const perBidder = new Map<number, number>();
    const windows = new Set<string>();
    for (const r of rows) {
      expect(r.starttime % windowMs).toBe(0);
      expect(r.endtime - r.starttime).toBe(windowMs);
      const id = `${r.bidder}@${r.starttime}`;
      expect(windows.has(id)).toBe(false); // one row per bidder and window
      windows.add(id);
      perBidder.set(r.bidder, (perBidder.get(r.bidder) ?? 0) + r.bid_count);
    }
    expect(perBidder).toEqual(brute.bidsPerBidder(input)); // every bid counted exactly once
  };
  it('q12: the baseline counts every bid once, in windows aligned to 10 s', () => checkQ12(baselineRows('q12') as BidderCountRow[], 10_000));
  for (const mode of ['continuous', 'micro-batch'] as const) {
    it(`q12 (${mode}): every bid counted once in 50 ms processing-time windows, the open ones closed at the end`, async () => {
      checkQ12((await weirRows('q12', mode, { windowMs: '50' })) as BidderCountRow[], 50);
    });
  }

  it('q5 and q9 read from JSON-lines files and from the embedded log give the same rows as from the generator', async () => {
    const dir = tempDir('weir-nexmark-q-');
    try {
      const files = writeNexmarkJsonLines(dir.path, { ...generatorOptions, partitions: 2 });
      writeNexmarkLog(`${dir.path}/log`, { ...generatorOptions, partitions: 2 });
      for (const query of ['q5', 'q9']) {
        const expected = rowSet(exact[query](input));
        expect(rowSet(await weirRows(query, 'continuous', { source: 'jsonl', files: files.join(',') }))).toEqual(expected);
        expect(rowSet(await weirRows(query, 'micro-batch', { source: 'log', logDir: `${dir.path}/log` }))).toEqual(expected);
      }
    } finally {
      dir.remove();
    }
  });

  it('q7: a bid exactly at a window\'s end matches that window\'s highest price too (BETWEEN is inclusive), in both modes and by hand', async () => {
    const t0 = 1_700_000_000_000;
    const bid = (offsetMs: number, price: number, bidder: number): NexmarkEvent => ({
      event_type: 2,
      person: null,
      auction: null,
      bid: { auction: 1000, bidder, price, channel: 'Apple', url: 'u', dateTime: t0 + offsetMs, extra: '' },
    });
    // Window [0, 10 s): highest 900 (bidder 1), and bidder 2's 900 at exactly 10 s matches it too.
    // Window [10 s, 20 s): highest 950 (bidder 3); bidder 4's 950 at exactly 20 s matches it and,
    // alone in [20 s, 30 s), is that window's highest as well: two rows.
    const events = [bid(1_000, 500, 0), bid(5_000, 900, 1), bid(10_000, 900, 2), bid(12_000, 950, 3), bid(15_000, 100, 5), bid(20_000, 950, 4)];
    const expected = ['1@5000', '2@10000', '3@12000', '4@20000', '4@20000'];
    const ids = (rows: unknown[]) => (rows as Array<{ bidder: number; dateTime: number }>).map((r) => `${r.bidder}@${r.dateTime - t0}`).sort();
    expect(ids(brute.q7(events))).toEqual(expected);
    const byHand: unknown[] = [];
    baselines.q7(events, (row) => byHand.push(row), { watermarkMs: 4000 });
    expect(ids(byHand)).toEqual(expected);
    const dir = tempDir('weir-nexmark-q7-');
    try {
      const file = `${dir.path}/bids.jsonl`;
      writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
      for (const mode of ['continuous', 'micro-batch'] as const) expect(ids(await weirRows('q7', mode, { source: 'jsonl', files: file }))).toEqual(expected);
    } finally {
      dir.remove();
    }
  });

  it('q9 and q4: a bid that comes before its auction counts; bids outside [dateTime, expires] do not; ties go to the earlier bid', async () => {
    const t0 = 1_700_000_000_000;
    const bid = (auction: number, offsetMs: number, price: number, bidder: number): NexmarkEvent => ({
      event_type: 2,
      person: null,
      auction: null,
      bid: { auction, bidder, price, channel: 'Apple', url: 'u', dateTime: t0 + offsetMs, extra: '' },
    });
    const auction: NexmarkEvent = {
      event_type: 1,
      person: null,
      auction: { id: 1000, itemName: 'i', description: 'd', initialBid: 1, reserve: 2, dateTime: t0 + 1_000, expires: t0 + 5_000, seller: 1000, category: 12, extra: '' },
      bid: null,
    };
    const events = [
      bid(1000, 2_000, 700, 1), // before its auction, inside it: the winner
      auction,
      bid(1000, 500, 9_999, 2), // before the auction opened
      bid(1000, 5_000, 700, 3), // at its expiry (inside), same price, later: loses the tie
      bid(1000, 6_000, 9_999, 4), // after it expired
      bid(1001, 3_000, 800, 5), // an auction that never comes
    ];
    const expectedQ9 = ['1000:1@2000/700'];
    const q9Ids = (rows: unknown[]) => (rows as Array<{ id: number; bidder: number; bid_dateTime: number; price: number }>).map((r) => `${r.id}:${r.bidder}@${r.bid_dateTime - t0}/${r.price}`);
    expect(q9Ids(brute.q9(events))).toEqual(expectedQ9);
    const byHand: unknown[] = [];
    baselines.q9(events, (row) => byHand.push(row), { watermarkMs: 4000 });
    expect(q9Ids(byHand)).toEqual(expectedQ9);
    const dir = tempDir('weir-nexmark-q9-');
    try {
      const file = `${dir.path}/events.jsonl`;
      writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
      for (const mode of ['continuous', 'micro-batch'] as const) {
        expect(q9Ids(await weirRows('q9', mode, { source: 'jsonl', files: file }))).toEqual(expectedQ9);
        expect(await weirRows('q4', mode, { source: 'jsonl', files: file })).toEqual([{ id: 12, final: 700, auctions: 1 }]);
      }
    } finally {
      dir.remove();
    }
  });

  it('a line that is not a Nexmark event goes to the dead letters with its place; the other events are processed', async () => {
    const dir = tempDir('weir-nexmark-bad-');
    try {
      const good = input.slice(0, 200);
      const file = `${dir.path}/events.jsonl`;
      const lines = good.map((e) => JSON.stringify(e));
      lines.splice(10, 0, '{"event_type":2,"person":null,"auction":null,"bid":null}', '{"event_type":7}', '[1,2]');
      writeFileSync(file, lines.join('\n') + '\n');
      const job = new URL('../../src/nexmark/queries/q0.ts', import.meta.url);
      const result = await (await run(job, { parallelism: 1, params: { source: 'jsonl', files: file }, workDir: `${dir.path}/work` })).done;
      expect(result.metrics.deadLetters).toBe(3);
      expect(rowSet(result.results.q0 as unknown[])).toEqual(rowSet(brute.q0(good)));
      const deadLetters = readFileSync(`${dir.path}/work/dead-letters.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { reason: string; offset: number });
      expect(deadLetters.map((d) => d.offset).sort()).toEqual([11, 12, 13]);
      for (const d of deadLetters) expect(d.reason).toMatch(/timestamp/);
    } finally {
      dir.remove();
    }
  });
});
