/**
 * A deterministic, seeded, open-loop generator source: the load of the latency harness and of
 * most tests and examples.
 *
 * Determinism: record i of partition p is a pure function of (options, p, i). Nothing about its
 * content depends on the wall clock, on batch sizes or on how often poll() is called, so the same
 * seed gives the same records in every run, and a partition can be replayed from any position
 * (position() = the next index; open(p, ctx, from) resumes there).
 *
 * Randomness is counter-based: a 32-bit state is derived from (seed, p, i) by two rounds of an
 * integer mixer (Wellons' lowbias32), and every draw of the record (key, value, out-of-order
 * choice, delay) is one more mix of that state. No PRNG state is carried from record to record,
 * which is what makes random access (replay from i) free.
 *
 * Open loop: with a rate, record i of a partition is *scheduled* at
 * `ctx.startMs + i * 1000 / ratePerPartition` whether or not anyone is ready to take it. poll()
 * emits the records whose scheduled time has passed and stamps them with createdMs = the scheduled
 * time, not the emission time. A consumer that stalls therefore shows the stall in its latency
 * (coordinated-omission correction) instead of silently slowing the load down.
 */
import { lowbias32 } from '../util/random.ts';
import { WeirError } from '../errors.ts';
import { limits } from '../limits.ts';
import { END, type SourceContext, type SourceOutput, type SourceReader, type SourceSpec } from './types.ts';
import { checkKnownKeys, type KeySet } from '../util/known-keys.ts';

export interface GeneratedEvent {
  /** 0 ≤ key < keys. With skew, key 0 is the hottest, then 1, … (Zipf rank = key + 1). */
  key: number;
  /** The record's index within its partition (= its offset). */
  seq: number;
  /** A pseudo-random number in [0, 1000). */
  value: number;
  /** Event time, epoch ms. */
  ts: number;
}

export interface GeneratorOptions {
  /** Default 2. */
  partitions?: number;
  /** Default 1. Any finite number; only its integer part's low 53 bits matter. */
  seed?: number;
  /** Records per second, total across partitions; 0 or Infinity = as fast as possible (default 0). */
  ratePerSec?: number;
  /** Total records across partitions, split as evenly as possible (lower partitions get the remainder); undefined = unbounded. */
  count?: number;
  /** Distinct keys, default 1000. */
  keys?: number;
  /** Zipf exponent of the key distribution; 0 = uniform (default 0). */
  keySkew?: number;
  /** 0..1, share of records whose event time is moved back (default 0). */
  outOfOrderFraction?: number;
  /** How far back at most, ms (default 1000). A moved record goes back by 1..outOfOrderMaxMs ms (uniform integer). */
  outOfOrderMaxMs?: number;
  /** Event time of record 0 (default 1_700_000_000_000). */
  eventTimeStartMs?: number;
  /** Event-time distance between consecutive records of a partition (default 1). */
  eventTimeStepMs?: number;
}

/** Field layout of GeneratedEvent, for a fixed-layout struct codec. */
export const generatorEventFields = { key: 'u32', seq: 'f64', value: 'f64', ts: 'f64' } as const;

/**
 * Largest key space the Zipf sampler accepts (its CDF table is 8 bytes per key: 32 MiB here).
 * Uniform keys have no table and no limit beyond u32.
 */
export const generatorZipfKeysMax = 1 << 22;

const two32 = 4294967296;
const inv32 = 1 / two32;
const golden = 0x9e3779b9;
const valueScale = 1000 * inv32;

const mix32 = lowbias32;

interface Resolved {
  partitions: number;
  seed: number;
  intervalMs: number; // per partition; 0 = unlimited
  count: number; // Infinity = unbounded
  keys: number;
  keySkew: number;
  oooThreshold32: number; // a record is moved when its draw < this (0..2^32)
  oooMaxMs: number;
  eventTimeStartMs: number;
  eventTimeStepMs: number;
}

function configError(message: string): WeirError {
  return new WeirError('WEIR_CONFIG', `generator: ${message}`);
}

function resolveOptions(opts: GeneratorOptions): Resolved {
  const partitions = opts.partitions ?? 2;
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > limits.parallelismMax) {
    throw configError(`partitions must be an integer in 1..${limits.parallelismMax}, got ${partitions}`);
  }
  const seed = opts.seed ?? 1;
  if (!Number.isFinite(seed)) throw configError(`seed must be a finite number, got ${seed}`);
  const rate = opts.ratePerSec ?? 0;
  if (!(rate >= 0)) throw configError(`ratePerSec must be ≥ 0 (0 or Infinity = unlimited), got ${rate}`);
  const count = opts.count ?? Infinity;
  if (count !== Infinity && !(Number.isSafeInteger(count) && count >= 0)) {
    throw configError(`count must be a non-negative integer or undefined, got ${count}`);
  }
  const keys = opts.keys ?? 1000;
  if (!Number.isInteger(keys) || keys < 1 || keys > two32) throw configError(`keys must be an integer in 1..2^32, got ${keys}`);
  const keySkew = opts.keySkew ?? 0;
  if (!(keySkew >= 0) || !Number.isFinite(keySkew)) throw configError(`keySkew must be a finite number ≥ 0, got ${keySkew}`);
  if (keySkew > 0 && keys > generatorZipfKeysMax) {
    throw configError(`keys must be ≤ ${generatorZipfKeysMax} when keySkew > 0 (Zipf table), got ${keys}`);
  }
  const fraction = opts.outOfOrderFraction ?? 0;
  if (!(fraction >= 0 && fraction <= 1)) throw configError(`outOfOrderFraction must be in 0..1, got ${fraction}`);
  const oooMaxMs = opts.outOfOrderMaxMs ?? 1000;
  if (!(oooMaxMs >= 0) || !Number.isFinite(oooMaxMs)) throw configError(`outOfOrderMaxMs must be a finite number ≥ 0, got ${oooMaxMs}`);
  const eventTimeStartMs = opts.eventTimeStartMs ?? 1_700_000_000_000;
  const eventTimeStepMs = opts.eventTimeStepMs ?? 1;
  if (!Number.isFinite(eventTimeStartMs)) throw configError(`eventTimeStartMs must be finite, got ${eventTimeStartMs}`);
  if (!(eventTimeStepMs >= 0) || !Number.isFinite(eventTimeStepMs)) {
    throw configError(`eventTimeStepMs must be a finite number ≥ 0, got ${eventTimeStepMs}`);
  }
  return {
    partitions,
    seed,
    intervalMs: rate === 0 || rate === Infinity ? 0 : (1000 * partitions) / rate,
    count,
    keys,
    keySkew,
    oooThreshold32: fraction * two32,
    oooMaxMs: Math.floor(oooMaxMs),
    eventTimeStartMs,
    eventTimeStepMs,
  };
}

/** Records of partition p when `count` records are split over `partitions` as evenly as possible. */
function shareOf(count: number, partitions: number, p: number): number {
  if (count === Infinity) return Infinity;
  return Math.floor(count / partitions) + (p < count % partitions ? 1 : 0);
}

// Zipf CDF tables are shared by every reader of a thread with the same (keys, skew).
const zipfTables = new Map<string, Float64Array>();

function zipfCdf(keys: number, skew: number): Float64Array {
  const id = `${keys}:${skew}`;
  let cdf = zipfTables.get(id);
  if (cdf === undefined) {
    cdf = new Float64Array(keys);
    let sum = 0;
    for (let k = 0; k < keys; k++) {
      sum += 1 / Math.pow(k + 1, skew);
      cdf[k] = sum;
    }
    for (let k = 0; k < keys; k++) cdf[k] /= sum;
    cdf[keys - 1] = 1; // draws are < 1, so the search always ends inside the table
    zipfTables.set(id, cdf);
  }
  return cdf;
}

/** The pure function (options, partition, index) → record, shared by the reader and generatedEvent(). */
class EventMaker {
  private readonly seedA: number;
  private readonly seedB: number;
  private readonly seedHi: number;
  private readonly keys: number;
  private readonly cdf: Float64Array | undefined;
  private readonly oooThreshold32: number;
  private readonly oooMaxMs: number;
  private readonly t0: number;
  private readonly stepMs: number;

  constructor(o: Resolved, partition: number) {
    const seedLo = o.seed >>> 0;
    const seedHi = Math.floor(Math.abs(o.seed) / two32) >>> 0;
    const p = mix32(Math.imul(partition + 1, golden) ^ mix32(seedHi ^ 0x5bd1e995));
    this.seedA = mix32(seedLo ^ p);
    this.seedB = mix32(this.seedA + golden);
    this.seedHi = mix32(p ^ 0x27d4eb2f);
    this.keys = o.keys;
    this.cdf = o.keySkew > 0 ? zipfCdf(o.keys, o.keySkew) : undefined;
    this.oooThreshold32 = o.oooThreshold32;
    this.oooMaxMs = o.oooMaxMs;
    this.t0 = o.eventTimeStartMs;
    this.stepMs = o.eventTimeStepMs;
  }

  event(i: number): GeneratedEvent {
    // State: two keyed mixing rounds over the index (low 32 bits; the high bits, 0 below 2^32, fold in too).
    const hi = (i * inv32) >>> 0;
    let s = mix32((i >>> 0) ^ this.seedA);
    s = mix32(s + this.seedB + (hi === 0 ? 0 : mix32(hi ^ this.seedHi)));

    const u = mix32(s + golden) * inv32;
    let key: number;
    const cdf = this.cdf;
    if (cdf === undefined) {
      key = Math.floor(u * this.keys);
    } else {
      let lo = 0;
      let hiK = cdf.length - 1;
      while (lo < hiK) {
        const mid = (lo + hiK) >>> 1;
        if (cdf[mid] > u) hiK = mid;
        else lo = mid + 1;
      }
      key = lo;
    }
    const value = mix32(s + 2 * golden) * valueScale;
    let ts = this.t0 + i * this.stepMs;
    if (this.oooThreshold32 > 0 && mix32(s ^ 0x68e31da4) < this.oooThreshold32) {
      ts -= 1 + Math.floor(mix32(s ^ 0xb5297a4d) * inv32 * this.oooMaxMs);
    }
    return { key, seq: i, value, ts };
  }
}

/**
 * Record `index` of `partition` as the generator with these options produces it, computed on its
 * own (tests, verification of outputs). Costs a few µs of setup per call: not for hot paths.
 */
export function generatedEvent(opts: GeneratorOptions, partition: number, index: number): GeneratedEvent {
  const o = resolveOptions(opts);
  checkPartition(o, partition);
  if (!Number.isSafeInteger(index) || index < 0) throw configError(`index must be a non-negative integer, got ${index}`);
  return new EventMaker(o, partition).event(index);
}

function checkPartition(o: Resolved, partition: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition >= o.partitions) {
    throw configError(`partition must be an integer in 0..${o.partitions - 1}, got ${partition}`);
  }
}

/**
 * The reader of one partition. position() is the next index (a number).
 *
 * Resuming (`from` = i0 > 0) with a rate keeps the job's schedule (record i at ctx.startMs + i ×
 * interval): after a recovery inside the same job the outage then shows up as latency, which is
 * the point. If that schedule puts i0 more than one interval in the future — which only happens
 * when a position is reused by a job that started later — the schedule is re-anchored so that i0
 * is due at open time, instead of waiting i0 × interval for nothing.
 */
export class GeneratorReader implements SourceReader<GeneratedEvent> {
  private next: number;
  private readonly end: number;
  private readonly intervalMs: number;
  private readonly anchorMs: number;
  private readonly maker: EventMaker;
  private readonly ctx: SourceContext;

  constructor(o: Resolved, partition: number, ctx: SourceContext, from?: unknown) {
    checkPartition(o, partition);
    let start = 0;
    if (from !== undefined && from !== null) {
      if (typeof from !== 'number' || !Number.isSafeInteger(from) || from < 0) {
        throw new WeirError('WEIR_SOURCE', `generator: cannot resume partition ${partition} from position ${JSON.stringify(from)} (expected a record index)`, {
          partition,
        });
      }
      start = from;
    }
    this.ctx = ctx;
    this.maker = new EventMaker(o, partition);
    this.end = shareOf(o.count, o.partitions, partition);
    this.next = Math.min(start, this.end);
    this.intervalMs = o.intervalMs;
    let anchorMs = ctx.startMs;
    if (this.intervalMs > 0 && start > 0) {
      const nowMs = ctx.nowMs();
      if (anchorMs + start * this.intervalMs > nowMs + this.intervalMs) anchorMs = nowMs - start * this.intervalMs;
    }
    this.anchorMs = anchorMs;
  }

  poll(max: number, out: SourceOutput<GeneratedEvent>): number {
    const first = this.next;
    const end = this.end;
    if (first >= end) return END;
    let i = first;
    const stop = end - i > max ? i + max : end;
    const maker = this.maker;
    if (this.intervalMs === 0) {
      const createdMs = this.ctx.nowMs();
      for (; i < stop; i++) {
        const e = maker.event(i);
        out.emit(e, i, e.ts, createdMs);
      }
    } else {
      const nowMs = this.ctx.nowMs();
      const anchorMs = this.anchorMs;
      const intervalMs = this.intervalMs;
      for (; i < stop; i++) {
        const scheduledMs = anchorMs + i * intervalMs;
        if (scheduledMs > nowMs) break;
        const e = maker.event(i);
        out.emit(e, i, e.ts, scheduledMs);
      }
    }
    this.next = i;
    return i - first;
  }

  /** Ms until the next record is due (0 when one is due now, or the partition is done, or the rate is unlimited). */
  idleMs(): number {
    if (this.intervalMs === 0 || this.next >= this.end) return 0;
    const waitMs = this.anchorMs + this.next * this.intervalMs - this.ctx.nowMs();
    return waitMs > 0 ? waitMs : 0;
  }

  position(): number {
    return this.next;
  }

  close(): void {}
}

const generatorKeys = { partitions: true, seed: true, ratePerSec: true, count: true, keys: true, keySkew: true, outOfOrderFraction: true, outOfOrderMaxMs: true, eventTimeStartMs: true, eventTimeStepMs: true } as const satisfies KeySet<GeneratorOptions>;

/** A deterministic, seeded, open-loop generator source (see the module comment). */
export function generator(opts: GeneratorOptions = {}): SourceSpec<GeneratedEvent> {
  checkKnownKeys('generator', opts, generatorKeys);
  const o = resolveOptions(opts);
  return {
    kind: 'generator',
    partitions: () => o.partitions,
    open: (partition, ctx, from) => new GeneratorReader(o, partition, ctx, from),
  };
}

/** Records partition `partition` gets out of `count` (Infinity when unbounded). */
export function generatorPartitionCount(opts: GeneratorOptions, partition: number): number {
  const o = resolveOptions(opts);
  checkPartition(o, partition);
  return shareOf(o.count, o.partitions, partition);
}
