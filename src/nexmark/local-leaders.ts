/**
 * A local phase before a per-window maximum (q5, q7), as Flink's planner puts one before a MAX
 * aggregation: every record of a window has the window's key, so without it every record would
 * cross to the one worker that owns the window. Each worker drops the records its own earlier ones
 * have beaten: of a window's records only those that raise or tie this worker's highest score so
 * far cross.
 *
 * A cache, not state: a record is dropped only when a higher one of its window went ahead of it on
 * this worker's channel, so the operator after the exchange (and any checkpoint between them) has
 * that one whenever it would have had the dropped one. Empty after a restart, it only drops less.
 * Windows more than `rememberMs` behind the newest are forgotten; a late record of one is sent on.
 */
import type { ProcessFunction } from '../functions/contracts.ts';

export interface LocalLeaders<T> {
  /** The record's window (its start). */
  windowOf(record: T): number;
  score(record: T): number;
  /** Whether the record's score counts towards its window's highest (default: yes); one that does not is still sent on unless beaten. */
  raises?(record: T): boolean;
  rememberMs: number;
}

export function localLeaders<T>(spec: LocalLeaders<T>): ProcessFunction<T, T> {
  let highest = new Map<number, number>();
  let newestStart = Number.NEGATIVE_INFINITY;
  return {
    open() {
      highest = new Map();
      newestStart = Number.NEGATIVE_INFINITY;
    },
    processElement(record, ctx) {
      const start = spec.windowOf(record);
      const score = spec.score(record);
      const sent = highest.get(start) ?? Number.NEGATIVE_INFINITY;
      if (score < sent) return; // beaten by one already sent: neither the highest nor tied with it
      if (score > sent && (spec.raises?.(record) ?? true)) highest.set(start, score);
      if (start > newestStart) {
        newestStart = start;
        for (const s of highest.keys()) if (s < newestStart - spec.rememberMs) highest.delete(s);
      }
      ctx.emit(record);
    },
  };
}
