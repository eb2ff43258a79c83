// The features of a card transaction, computed from what the job keeps per card in keyed state
// (CardHistory) and the holder's profile. The same function makes the training rows (train.ts,
// over the history in event-time order) and the job's (job.ts, in a keyed process function), so
// the model sees in production exactly what it was trained on.
import { RunningStats } from '../../src/api/index.ts';
import type { HolderProfile, Transaction } from './transactions.ts';

/** What the job remembers of a card: plain numbers and arrays, so it goes into keyed state as it is. */
export interface CardHistory {
  lastTs: number;
  lastLat: number;
  lastLon: number;
  /** The card's amounts so far (Welford). */
  amounts: RunningStats;
  /** Event times of the card's transactions within the last minute before the newest. */
  recentTs: number[];
}

export const recentWindowMs = 60_000;

export const featureNames = [
  'amount',
  'amountOverUsual',
  'amountZScore',
  'secondsSinceLast',
  'countLastMinute',
  'kmFromLast',
  'kmFromHome',
] as const;

/** One row of the model's input, in featureNames' order. */
export type Features = number[];

const earthRadiusKm = 6371;

export function distanceKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * earthRadiusKm * Math.asin(Math.min(1, Math.sqrt(a)));
}

// Features are rounded: the model compares them with split points, and a brute force that computes
// them another way (sums instead of Welford) must land on the same side of every split.
// (+ 0 turns -0 into 0: JSON, which outputs and Kafka records are, writes -0 as 0.)
const round = (x: number) => Math.round(x * 1_000) / 1_000 + 0;

/** A first transaction has no history: these stand for "long ago" and "nothing known". */
export const noHistorySeconds = 30 * 86_400;
const zScoreCap = 50;
const minAmountsForZScore = 3;

/** The transaction's features given the card's history before it (undefined: the card's first). */
export function features(tx: Transaction, profile: HolderProfile, history: CardHistory | undefined): Features {
  const amounts = history?.amounts;
  const z = amounts === undefined || amounts.count < minAmountsForZScore ? 0 : RunningStats.zScore(amounts, tx.amount);
  const zScore = Number.isFinite(z) ? z : Math.sign(z) * zScoreCap;
  return [
    tx.amount,
    round(tx.amount / profile.usualAmount),
    round(Math.max(-zScoreCap, Math.min(zScoreCap, zScore))),
    history === undefined ? noHistorySeconds : round(Math.min(noHistorySeconds, (tx.ts - history.lastTs) / 1_000)),
    history === undefined ? 0 : history.recentTs.filter((t) => tx.ts - t < recentWindowMs).length,
    history === undefined ? 0 : round(distanceKm(history.lastLat, history.lastLon, tx.lat, tx.lon)),
    round(distanceKm(profile.homeLat, profile.homeLon, tx.lat, tx.lon)),
  ];
}

/** The card's history after the transaction. */
export function remember(tx: Transaction, history: CardHistory | undefined): CardHistory {
  const recentTs = (history?.recentTs ?? []).filter((t) => tx.ts - t < recentWindowMs);
  recentTs.push(tx.ts);
  return { lastTs: tx.ts, lastLat: tx.lat, lastLon: tx.lon, amounts: RunningStats.add(history?.amounts ?? RunningStats.empty(), tx.amount), recentTs };
}
