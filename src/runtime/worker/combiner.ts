/**
 * The sending side of a keyBy with `combine` (a combiner, as Hadoop's and Beam's; Flink SQL's
 * mini-batch local aggregation): records of one key that this worker sends within one batch are
 * folded with the user's `combine(earlier, later)` into one record, and only that one crosses.
 * The keyed operator reading the exchange is unchanged: it sees fewer, combined records.
 *
 * Held records are sent:
 *  - combineDelayMs after its first record (the most a record waits here), checked each round;
 *  - in a round that took no input (the worker is about to rest: nothing waits on a quiet stream);
 *  - before a barrier, an epoch end or an end of stream goes into the exchange (flushAll, by the
 *    worker loop): a snapshot never misses a record held here, and an epoch's records stay in it;
 *  - before a watermark is passed on that would make a held record late, that record: a combined
 *    record carries the newest timestamp of its records, and goes out while that is still ahead
 *    of every watermark this worker passed into the exchange (the exchange's watermark downstream
 *    is the minimum over its senders, so at most that). Only those: with records out of order, a
 *    batch's stragglers fall behind the watermark long before the batch is due. A record
 *    without a timestamp waits for the rest;
 *  - when combineKeysMax keys are held.
 * Keys other than strings and finite numbers are not combined (held records are found by key in a
 * Map): such records go as themselves. So do all records for a while when combining does not pay:
 * a keyBy whose keys rarely repeat within a batch would spend a Map lookup per record for nothing
 * (measured: ~0.35 µs a record with keys of three parts), so one that folds fewer than one record
 * in combineFoldsMin of combineCheckRecords sends the next combineBypassRecords as themselves,
 * then tries again.
 */
import { expectFolded } from '../../functions/sync.ts';
import { limits } from '../../limits.ts';

/** Sends one record into the exchange, to the worker of `key`, at the source position given. */
export type SendCombined = (key: unknown, value: unknown, timestampMs: number, createdMs: number, partition: number, offset: number) => void;

interface Held {
  key: string | number;
  value: unknown;
  /** The newest event time (NaN: none) and the oldest creation time (NaN: none) of its records: a latency measured from it is that of its first record. */
  timestampMs: number;
  createdMs: number;
  /** The last record's source position: errors and dead letters name it. */
  partition: number;
  offset: number;
}

export class Combiner {
  private held = new Map<string | number, Held>();
  /** When the batch's first record came (NaN: nothing held). */
  private batchStartMs = Number.NaN;
  /** At most the oldest timestamp held (combining only makes a held one newer): a watermark below it makes nothing late. */
  private oldestAtMostMs = Number.POSITIVE_INFINITY;
  /** Records taken and records folded into a held one, since the last check; records still to send as themselves. */
  private taken = 0;
  private folded = 0;
  private bypass = 0;

  constructor(
    private readonly combine: (earlier: unknown, later: unknown) => unknown,
    private readonly delayMs: number,
    private readonly send: SendCombined,
    private readonly nowMs: () => number,
  ) {}

  /** A record for the exchange. Throws what `combine` throws (or a Promise it returns), having kept what was held before. */
  add(key: unknown, value: unknown, timestampMs: number, createdMs: number, partition: number, offset: number): void {
    if (this.bypass > 0) {
      this.bypass--;
      return this.send(key, value, timestampMs, createdMs, partition, offset);
    }
    if (!(typeof key === 'string' || (typeof key === 'number' && Number.isFinite(key)))) return this.send(key, value, timestampMs, createdMs, partition, offset);
    if (++this.taken === limits.combineCheckRecords && !this.stillPays()) return this.send(key, value, timestampMs, createdMs, partition, offset);
    const held = this.held.get(key);
    if (held === undefined) {
      if (this.held.size === 0) this.batchStartMs = this.nowMs();
      this.held.set(key, { key, value, timestampMs, createdMs, partition, offset });
      if (timestampMs < this.oldestAtMostMs) this.oldestAtMostMs = timestampMs;
      if (this.held.size >= limits.combineKeysMax) this.flushAll();
      return;
    }
    const combined = expectFolded(this.combine(held.value, value), 'combine function');
    held.value = combined;
    this.folded++;
    if (Number.isNaN(held.timestampMs)) {
      // Held without a time until now: from here on a watermark can make it late.
      held.timestampMs = timestampMs;
      if (timestampMs < this.oldestAtMostMs) this.oldestAtMostMs = timestampMs;
    } else if (timestampMs > held.timestampMs) held.timestampMs = timestampMs;
    if (createdMs < held.createdMs || Number.isNaN(held.createdMs)) held.createdMs = createdMs;
    held.partition = partition;
    held.offset = offset;
  }

  /** The watermark (or idleness) about to be passed into the exchange: first what it would make late. */
  onWatermark(watermarkMs: number, idle: boolean): void {
    if (idle) return this.flushAll();
    if (watermarkMs < this.oldestAtMostMs) return;
    // Taken out first, as in flushAll; what stays gives the new bound.
    const due: Held[] = [];
    let oldest = Number.POSITIVE_INFINITY;
    for (const h of this.held.values()) {
      if (h.timestampMs <= watermarkMs) due.push(h);
      else if (h.timestampMs < oldest) oldest = h.timestampMs;
    }
    for (const h of due) this.held.delete(h.key);
    this.oldestAtMostMs = oldest;
    if (this.held.size === 0) this.batchStartMs = Number.NaN;
    for (const h of due) this.send(h.key, h.value, h.timestampMs, h.createdMs, h.partition, h.offset);
  }

  /** The end of a worker round: sends the batch when it is old enough, or when the round took no input. */
  endRound(tookInput: boolean, nowMs: number): void {
    if (this.held.size > 0 && (!tookInput || nowMs - this.batchStartMs >= this.delayMs)) this.flushAll();
  }

  /** Every combineCheckRecords records: false when too few were folded; then what is held goes, and the next records go as themselves. */
  private stillPays(): boolean {
    const pays = this.folded * limits.combineFoldsMin >= this.taken;
    this.taken = 0;
    this.folded = 0;
    if (pays) return true;
    this.flushAll();
    this.bypass = limits.combineBypassRecords;
    return false;
  }

  /** Sends everything held. */
  flushAll(): void {
    if (this.held.size === 0) return;
    // Taken out first: sending may wait for room and process other input meanwhile (only from
    // exchanges downstream of this one, which never reach this combiner).
    const batch = this.held;
    this.held = new Map();
    this.batchStartMs = Number.NaN;
    this.oldestAtMostMs = Number.POSITIVE_INFINITY;
    for (const h of batch.values()) this.send(h.key, h.value, h.timestampMs, h.createdMs, h.partition, h.offset);
  }
}
