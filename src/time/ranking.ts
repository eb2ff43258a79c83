/**
 * Bounded rankings, the arithmetic behind topK and topN: a ranking is an array of entries sorted
 * best first, never longer than k. Entries are plain data (they live in keyed state).
 *
 * Order: a higher score ranks first; equal scores are ordered by the entry's tie-break text (the
 * JSON of its key, or of the record when there is no key), ascending, so that every worker, every
 * run and a brute force agree on one ranking.
 */
import { WeirError } from '../errors.ts';
import { expectSync } from '../functions/sync.ts';

/** One ranked item: its score (from `by`), what it is, and the text that breaks ties. */
export interface RankEntry<V> {
  score: number;
  tie: string;
  value: V;
}

export function compareEntries(a: RankEntry<unknown>, b: RankEntry<unknown>): number {
  if (a.score !== b.score) return b.score - a.score;
  return a.tie < b.tie ? -1 : a.tie > b.tie ? 1 : 0;
}

/** The text that breaks ties between equal scores. */
export function tieBreakOf(identity: unknown): string {
  return typeof identity === 'string' ? identity : JSON.stringify(identity) ?? String(identity);
}

/** The score of `value`; anything but a finite number is the user's error, named by operator. */
export function scoreOf<V>(by: (value: V) => number, value: V, what: string): number {
  const score = expectSync(by(value), `${what} score function`);
  if (typeof score !== 'number' || Number.isNaN(score)) {
    throw new WeirError('WEIR_USER_FUNCTION', `${what}: the score function returned ${String(score)}; it must return a number`);
  }
  return score;
}

/** Inserts `entry` into `ranking` (in place) and keeps the best `k`. */
export function insertRanked<V>(ranking: RankEntry<V>[], entry: RankEntry<V>, k: number): RankEntry<V>[] {
  if (ranking.length >= k && compareEntries(entry, ranking[ranking.length - 1]) >= 0) return ranking;
  let at = ranking.length;
  while (at > 0 && compareEntries(entry, ranking[at - 1]) < 0) at--;
  ranking.splice(at, 0, entry);
  if (ranking.length > k) ranking.length = k;
  return ranking;
}

/** The best `k` of two rankings. */
export function mergeRankings<V>(a: RankEntry<V>[], b: RankEntry<V>[], k: number): RankEntry<V>[] {
  const merged: RankEntry<V>[] = [];
  let i = 0;
  let j = 0;
  while (merged.length < k && (i < a.length || j < b.length)) {
    if (j >= b.length || (i < a.length && compareEntries(a[i], b[j]) <= 0)) merged.push(a[i++]);
    else merged.push(b[j++]);
  }
  return merged;
}

export function checkK(k: number, what: string): void {
  if (!Number.isInteger(k) || k < 1) throw new WeirError('WEIR_JOB_DEFINITION', `${what}: k must be an integer ≥ 1, not ${k}`);
}
