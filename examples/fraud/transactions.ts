// The fraud example's data: card holders and their card transactions, from a seeded generator, so
// the same options give the same data in every run and in a test's brute force.
//
// - A holder (one card) has a home location and a usual amount; their own transactions are near
//   home at amounts around the usual one, now and then spaced minutes to hours apart in event time.
//   Some honest ones look odd: a purchase while travelling far away, a purchase several times the
//   usual amount.
// - Fraud comes in episodes that interrupt a card's history: a burst of 3–7 transactions seconds
//   apart far from home at amounts well above the usual one (half of them at a few "risky"
//   merchants), or a single large purchase far away. About 5 % of transactions are fraud.
// - Card c is read from partition c mod partitions; a partition's transactions come in event-time
//   order, so one card's transactions arrive in the order they happened.
//
// The same holders make two periods: the history (a model is trained on it, with the labels) and
// the live transactions (the job reads them, without labels). Written as:
//
//   <dir>/history.jsonl     the history, one labelled transaction a line, in event-time order
//   <dir>/live/             the live transactions, an embedded log with one partition per source partition
//   <dir>/live-labels.jsonl which live transactions were fraud (for evaluation, never read by the job)
//   <dir>/rules/            an empty embedded log (one partition) for the job's rule changes (rules.ts)
//   Redis holder:<card>     each holder's profile, as JSON
//
//   node bin/run-ts.mjs examples/fraud/transactions.ts fraud-data redis=127.0.0.1:6379 cards=2000
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EmbeddedLog } from '../../src/connectors/index.ts';
import { lowbias32, seededRandom } from '../../src/util/random.ts';

export interface Transaction {
  id: string;
  card: string;
  /** Currency units, two decimals. */
  amount: number;
  merchant: string;
  lat: number;
  lon: number;
  /** Event time, epoch ms. */
  ts: number;
}

export interface LabelledTransaction extends Transaction {
  fraud: boolean;
}

/** What the profile store (Redis) knows about a card's holder. */
export interface HolderProfile {
  card: string;
  homeLat: number;
  homeLon: number;
  /** The holder's usual amount (the mean of their own purchases). */
  usualAmount: number;
}

export interface FraudDataOptions {
  cards: number;
  /** Transactions per card in each period (fraud episodes included). */
  perCard: number;
  partitions: number;
  seed: number;
}

export const defaultFraudData: FraudDataOptions = { cards: 2_000, perCard: 40, partitions: 2, seed: 2026 };

/** Where the two periods start in event time. */
export const historyStartMs = Date.UTC(2026, 0, 1);
export const liveStartMs = Date.UTC(2026, 2, 1);

const meanGapMs = 45 * 60_000;
const fraudEpisodeChance = 0.012;
export const riskyMerchants = 20;

export const round2 = (x: number) => Math.round(x * 100) / 100;
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
export const cardId = (c: number) => `card-${c}`;

export function holderProfile(opts: FraudDataOptions, c: number): HolderProfile {
  const random = seededRandom(lowbias32(opts.seed * 0x9e3779b1 + c));
  return { card: cardId(c), homeLat: round4(44 + 10 * random()), homeLon: round4(-1 + 16 * random()), usualAmount: round2(15 * Math.exp(2 * random())) };
}

export function holderProfiles(opts: FraudDataOptions): HolderProfile[] {
  return Array.from({ length: opts.cards }, (_, c) => holderProfile(opts, c));
}

/** A standard normal sample (Box–Muller). */
function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Somewhere in Europe, usually far from a given home. */
function farAway(random: () => number): { lat: number; lon: number } {
  return { lat: 36 + 24 * random(), lon: -10 + 40 * random() };
}

/** Card c's transactions of one period, in event-time order. */
export function cardTransactions(opts: FraudDataOptions, c: number, startMs: number): LabelledTransaction[] {
  const profile = holderProfile(opts, c);
  const random = seededRandom(lowbias32(lowbias32(opts.seed + 0x51ed27) ^ (c * 0x85ebca6b) ^ startMs / 60_000));
  const out: LabelledTransaction[] = [];
  let ts = startMs + Math.floor(random() * 3_600_000);
  const push = (amount: number, merchant: string, lat: number, lon: number, fraud: boolean) => {
    out.push({ id: `${profile.card}/${startMs === historyStartMs ? 'h' : 'l'}${out.length}`, card: profile.card, amount: round2(Math.max(1, amount)), merchant, lat: round4(lat), lon: round4(lon), ts, fraud });
  };
  while (out.length < opts.perCard) {
    ts += 60_000 + Math.floor(-Math.log(1 - random()) * meanGapMs);
    if (random() < fraudEpisodeChance) {
      const where = farAway(random);
      const burst = random() < 0.6;
      const n = burst ? 3 + Math.floor(random() * 5) : 1;
      for (let i = 0; i < n && out.length < opts.perCard; i++) {
        if (i > 0) ts += 5_000 + Math.floor(random() * 15_000);
        const factor = burst ? 1.5 + 4.5 * random() : 4 + 8 * random();
        const merchant = random() < 0.5 ? `m-risky-${Math.floor(random() * riskyMerchants)}` : `m-${Math.floor(random() ** 2 * 300)}`;
        push(profile.usualAmount * factor, merchant, where.lat + (random() - 0.5) * 0.05, where.lon + (random() - 0.5) * 0.05, true);
      }
      continue;
    }
    const odd = random();
    const merchant = `m-${Math.floor(random() ** 2 * 300)}`;
    let amount = profile.usualAmount * Math.exp(0.45 * gaussian(random));
    let { lat, lon } = { lat: profile.homeLat + (random() - 0.5) * 0.3, lon: profile.homeLon + (random() - 0.5) * 0.3 };
    if (odd < 0.02) ({ lat, lon } = farAway(random)); // travelling
    else if (odd < 0.03) amount *= 3 + 5 * random(); // a big purchase at home
    push(amount, merchant, lat, lon, false);
  }
  return out;
}

/** Partition p's transactions of one period, in event-time order (ties: by card). */
export function partitionTransactions(opts: FraudDataOptions, p: number, startMs: number): LabelledTransaction[] {
  const all: LabelledTransaction[] = [];
  for (let c = p; c < opts.cards; c += opts.partitions) all.push(...cardTransactions(opts, c, startMs));
  return all.sort((a, b) => a.ts - b.ts || (a.card < b.card ? -1 : a.card > b.card ? 1 : 0));
}

/** Every transaction of one period, in event-time order. */
export function allTransactions(opts: FraudDataOptions, startMs: number): LabelledTransaction[] {
  const all: LabelledTransaction[] = [];
  for (let p = 0; p < opts.partitions; p++) all.push(...partitionTransactions(opts, p, startMs));
  return all.sort((a, b) => a.ts - b.ts || (a.card < b.card ? -1 : a.card > b.card ? 1 : 0));
}

export const withoutLabel = ({ fraud: _fraud, ...tx }: LabelledTransaction): Transaction => tx;

/** The history (labelled, JSON lines), the live transactions (an embedded log, one partition per source partition) and their labels. */
export function writeFraudData(dir: string, opts: FraudDataOptions): { history: number; live: number } {
  mkdirSync(dir, { recursive: true });
  const history = allTransactions(opts, historyStartMs);
  writeFileSync(join(dir, 'history.jsonl'), history.map((t) => JSON.stringify(t)).join('\n') + '\n');
  const log = EmbeddedLog.create(join(dir, 'live'), opts.partitions);
  const labels: string[] = [];
  let live = 0;
  try {
    for (let p = 0; p < opts.partitions; p++) {
      for (const t of partitionTransactions(opts, p, liveStartMs)) {
        log.appendJson(p, withoutLabel(t));
        labels.push(JSON.stringify({ id: t.id, fraud: t.fraud }));
        live++;
      }
    }
  } finally {
    log.close();
  }
  writeFileSync(join(dir, 'live-labels.jsonl'), labels.join('\n') + '\n');
  EmbeddedLog.create(join(dir, 'rules'), 1).close();
  return { history: history.length, live };
}

export const profileKey = (card: string) => `holder:${card}`;

/** Writes every holder's profile into the store (SET holder:<card> <json>), in pipelined batches. */
export async function loadProfiles(redis: { pipeline(): { set(key: string, value: string): unknown; exec(): Promise<unknown> } }, opts: FraudDataOptions): Promise<number> {
  const profiles = holderProfiles(opts);
  for (let i = 0; i < profiles.length; i += 1_000) {
    const batch = redis.pipeline();
    for (const profile of profiles.slice(i, i + 1_000)) batch.set(profileKey(profile.card), JSON.stringify(profile));
    await batch.exec();
  }
  return profiles.length;
}

/** `key=value` command-line arguments over defaults. */
export function fraudDataOptions(args: Record<string, string>): FraudDataOptions {
  const num = (name: keyof FraudDataOptions) => (args[name] === undefined ? defaultFraudData[name] : Number(args[name]));
  return { cards: num('cards'), perCard: num('perCard'), partitions: num('partitions'), seed: num('seed') };
}

export function keyValueArgs(argv: string[]): Record<string, string> {
  return Object.fromEntries(argv.filter((a) => a.includes('=')).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.argv[2];
  if (dir === undefined || dir.includes('=')) {
    console.error('usage: transactions.ts <dir> [redis=host:port] [cards=2000] [perCard=40] [partitions=2] [seed=2026]');
    process.exit(2);
  }
  const args = keyValueArgs(process.argv.slice(3));
  const opts = fraudDataOptions(args);
  const written = writeFraudData(dir, opts);
  console.log(`${dir}: ${written.history} history transactions, ${written.live} live ones in ${opts.partitions} partitions`);
  if (args.redis !== undefined) {
    const { Redis } = await import('ioredis');
    const [host, port] = args.redis.split(':');
    const redis = new Redis({ host, port: Number(port), lazyConnect: true });
    await redis.connect();
    console.log(`redis ${args.redis}: ${await loadProfiles(redis, opts)} holder profiles`);
    await redis.quit();
  }
}
