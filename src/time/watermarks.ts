import { WeirError } from '../errors.ts';
import { limits } from '../limits.ts';

/**
 * Event time: how a source's records get their timestamps and how its watermarks advance
 * (Flink's WatermarkStrategy). A watermark W says "no record with timestamp ≤ W will come any
 * more" (later ones are late). Each source partition runs its own generator; the runtime merges
 * them by minimum, excluding partitions that have been idle for `idlenessMs`.
 */
export interface WatermarkGenerator<T> {
  /** Sees every record of the partition with its (valid) timestamp. */
  onEvent(value: T, timestampMs: number): void;
  /** The partition's watermark now: -Infinity before any; never decreasing (the runtime enforces it). */
  currentWatermark(): number;
}

export type TimestampAssigner<T> = (value: T, sourceTimestampMs: number) => number;

export interface WatermarkStrategyOptions<T> {
  generator: () => WatermarkGenerator<T>;
  /** Where a record's event time comes from; default: the timestamp the source gives (e.g. the Kafka record's). */
  timestampAssigner?: TimestampAssigner<T>;
  /** After this long without a record, a partition stops holding the watermark back (undefined: never). */
  idlenessMs?: number;
  /** A timestamp further ahead of the wall clock than this is bad (dead-lettered). */
  futureMsMax: number;
  /**
   * Watermark alignment (Flink's withWatermarkAlignment): undefined means the default (the
   * source's own partitions form the group, limits.watermarkAlignmentDriftMsDefault); null: off.
   */
  alignment?: WatermarkAlignmentOptions | null;
}

/**
 * A partition whose watermark is more than `maxDriftMs` ahead of the slowest partition of its
 * group (on any worker; idle and ended partitions excluded) pauses reading until that one catches up.
 */
export interface WatermarkAlignmentOptions {
  /** Partitions of every source with the same group align together; undefined: the source's own name. */
  group: string | undefined;
  maxDriftMs: number;
  /** How often a worker whose partitions are all paused looks again whether one may read. */
  updateIntervalMs: number;
}

export class WatermarkStrategy<T> {
  private constructor(readonly options: WatermarkStrategyOptions<T>) {}

  /**
   * Records arrive at most `maxOutOfOrdernessMs` out of order: watermark = the largest timestamp
   * seen − maxOutOfOrdernessMs − 1 (as Flink's BoundedOutOfOrdernessWatermarks).
   */
  static boundedOutOfOrderness<T>(maxOutOfOrdernessMs: number): WatermarkStrategy<T> {
    if (!(maxOutOfOrdernessMs >= 0) || !Number.isFinite(maxOutOfOrdernessMs)) {
      throw new WeirError('WEIR_CONFIG', `boundedOutOfOrderness: maxOutOfOrdernessMs must be a finite number ≥ 0, not ${maxOutOfOrdernessMs}`);
    }
    return new WatermarkStrategy<T>({ generator: () => boundedOutOfOrdernessGenerator(maxOutOfOrdernessMs), futureMsMax: limits.timestampFutureMsMax });
  }

  /** Timestamps never decrease within a partition: boundedOutOfOrderness(0). */
  static monotonousTimestamps<T>(): WatermarkStrategy<T> {
    return WatermarkStrategy.boundedOutOfOrderness<T>(0);
  }

  /** A user-defined generator, one per partition. */
  static custom<T>(generator: () => WatermarkGenerator<T>): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>({ generator, futureMsMax: limits.timestampFutureMsMax });
  }

  withTimestampAssigner(assigner: TimestampAssigner<T>): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>({ ...this.options, timestampAssigner: assigner });
  }

  withIdleness(idlenessMs: number = limits.idlenessMsDefault): WatermarkStrategy<T> {
    if (!(idlenessMs > 0)) throw new WeirError('WEIR_CONFIG', `withIdleness: idlenessMs must be > 0, not ${idlenessMs}`);
    return new WatermarkStrategy<T>({ ...this.options, idlenessMs });
  }

  /**
   * Bounded event-time skew (Flink's withWatermarkAlignment): a partition whose watermark runs more
   * than `maxDriftMs` ahead of the slowest non-idle partition of `group` — on any worker, of any
   * source with the same group — stops reading until the others catch up. On by default (see
   * limits.watermarkAlignmentDriftMsDefault); `maxDriftMs: Infinity` turns it off.
   */
  withWatermarkAlignment(group: string, maxDriftMs: number, updateIntervalMs: number = limits.watermarkAlignmentUpdateIntervalMs): WatermarkStrategy<T> {
    if (typeof group !== 'string' || group === '') throw new WeirError('WEIR_CONFIG', 'withWatermarkAlignment: group must be a non-empty string');
    if (!(maxDriftMs > 0)) throw new WeirError('WEIR_CONFIG', `withWatermarkAlignment: maxDriftMs must be > 0 (Infinity: off), not ${maxDriftMs}`);
    if (!(updateIntervalMs > 0) || !Number.isFinite(updateIntervalMs)) {
      throw new WeirError('WEIR_CONFIG', `withWatermarkAlignment: updateIntervalMs must be a finite number > 0, not ${updateIntervalMs}`);
    }
    const alignment = maxDriftMs === Number.POSITIVE_INFINITY ? null : { group, maxDriftMs, updateIntervalMs };
    return new WatermarkStrategy<T>({ ...this.options, alignment });
  }

  /** Partitions of this source read as fast as they can, however far apart their event times drift. */
  withoutWatermarkAlignment(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>({ ...this.options, alignment: null });
  }

  /** Records with a timestamp more than `futureMsMax` ahead of the wall clock are dead-lettered. */
  withMaxFuture(futureMsMax: number): WatermarkStrategy<T> {
    if (!(futureMsMax >= 0)) throw new WeirError('WEIR_CONFIG', `withMaxFuture: futureMsMax must be ≥ 0, not ${futureMsMax}`);
    return new WatermarkStrategy<T>({ ...this.options, futureMsMax });
  }
}

function boundedOutOfOrdernessGenerator<T>(maxOutOfOrdernessMs: number): WatermarkGenerator<T> {
  let maxTimestampMs = Number.NEGATIVE_INFINITY;
  return {
    onEvent(_value, timestampMs) {
      if (timestampMs > maxTimestampMs) maxTimestampMs = timestampMs;
    },
    currentWatermark: () => maxTimestampMs - maxOutOfOrdernessMs - 1,
  };
}

/**
 * Why a timestamp cannot be used, or undefined when it can: missing, not a number, negative, or
 * absurdly far in the future (a unit mistake — seconds for ms, µs for ms — is the usual cause).
 */
export function badTimestampReason(timestampMs: unknown, nowMs: number, futureMsMax: number): string | undefined {
  if (timestampMs === undefined || timestampMs === null) return 'missing timestamp';
  if (typeof timestampMs !== 'number') return `timestamp is not a number (${typeof timestampMs})`;
  if (Number.isNaN(timestampMs)) return 'timestamp is NaN';
  if (!Number.isFinite(timestampMs)) return `timestamp is ${timestampMs}`;
  if (timestampMs < 0) return `negative timestamp ${timestampMs}`;
  if (timestampMs > nowMs + futureMsMax) return `timestamp ${timestampMs} is more than ${futureMsMax} ms in the future`;
  return undefined;
}
