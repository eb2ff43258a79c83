/**
 * The scalar functions of Nexmark's projection queries (q14, q21, q22), as the suite's Flink SQL
 * defines them: shared by the job modules and the plain single-thread programs, which differ in
 * what runs them, not in what a row is.
 */
import type { BidCalculationRow } from './rows.ts';

const hourMs = 3_600_000;

/** q14's CASE over HOUR(dateTime): the hour of the timestamp (epoch ms, read as UTC). */
export function bidTimeType(dateTimeMs: number): BidCalculationRow['bidTimeType'] {
  const hour = Math.floor(dateTimeMs / hourMs) % 24;
  if (hour >= 8 && hour <= 18) return 'dayTime';
  if (hour <= 6 || hour >= 20) return 'nightTime';
  return 'otherTime';
}

/** The suite's count_char UDF: how often `char` (one ASCII character) occurs in `s`. */
export function countChar(s: string, char: string): number {
  const code = char.charCodeAt(0);
  let count = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === code) count++;
  return count;
}

/** q21's channel ids of the four named channels, by lower-cased name. */
const namedChannelIds: Record<string, string> = { apple: '0', google: '1', facebook: '2', baidu: '3' };

/** REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2): null when the URL has no such parameter. */
export function urlChannelId(url: string): string | null {
  const m = /(&|^)channel_id=([^&]*)/.exec(url);
  return m === null ? null : m[2];
}

/** q21's channel_id, or null for a bid the query's WHERE drops (neither a named channel nor a channel_id in its URL). */
export function channelId(channel: string, url: string): string | null {
  return namedChannelIds[channel.toLowerCase()] ?? urlChannelId(url);
}

/** SPLIT_INDEX(s, separator, index): the index-th part (from 0), null past the last. */
export function splitIndex(s: string, separator: string, index: number): string | null {
  return s.split(separator)[index] ?? null;
}
