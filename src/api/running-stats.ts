/**
 * Running statistics for keyed state: count, mean and variance (Welford's online algorithm, with
 * Chan et al.'s merge), and exponentially weighted moving averages. Each is a plain object of
 * numbers, so it goes into any state primitive (LMDB stores it as msgpack, the heap as is) and
 * into a checkpoint unchanged. The functions never mutate their input — a state store may keep
 * the object it was given — they return a new one.
 *
 * ```ts
 * const state = ctx.valueState<RunningStats>('amounts');
 * const before = state.value() ?? RunningStats.empty();
 * if (before.count >= 10 && Math.abs(RunningStats.zScore(before, tx.amount)) > 4) ctx.emit(alert(tx));
 * state.update(RunningStats.add(before, tx.amount));
 * ```
 */
import type { AggregateFunction } from '../functions/contracts.ts';

/** Count, mean, sum of squared deviations (m2), minimum and maximum of the values added. */
export interface RunningStats {
  count: number;
  mean: number;
  m2: number;
  min: number;
  max: number;
}

export const RunningStats = {
  empty(): RunningStats {
    return { count: 0, mean: 0, m2: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY };
  },

  /** One more value (Welford): numerically stable, O(1). */
  add(stats: RunningStats, value: number): RunningStats {
    const count = stats.count + 1;
    const delta = value - stats.mean;
    const mean = stats.mean + delta / count;
    return { count, mean, m2: stats.m2 + delta * (value - mean), min: Math.min(stats.min, value), max: Math.max(stats.max, value) };
  },

  /** The statistics of both inputs' values together (Chan, Golub and LeVeque): for windows, partial aggregates, state of merged keys. */
  merge(a: RunningStats, b: RunningStats): RunningStats {
    if (a.count === 0) return { ...b };
    if (b.count === 0) return { ...a };
    const count = a.count + b.count;
    const delta = b.mean - a.mean;
    return {
      count,
      mean: a.mean + (delta * b.count) / count,
      m2: a.m2 + b.m2 + (delta * delta * a.count * b.count) / count,
      min: Math.min(a.min, b.min),
      max: Math.max(a.max, b.max),
    };
  },

  /** Population variance (divides by n); NaN when empty. */
  variance(stats: RunningStats): number {
    return stats.count === 0 ? Number.NaN : stats.m2 / stats.count;
  },

  /** Sample variance (divides by n − 1); NaN below two values. */
  sampleVariance(stats: RunningStats): number {
    return stats.count < 2 ? Number.NaN : stats.m2 / (stats.count - 1);
  },

  /** Sample standard deviation; NaN below two values. */
  stdDev(stats: RunningStats): number {
    return Math.sqrt(RunningStats.sampleVariance(stats));
  },

  /** How many sample standard deviations `value` lies from the mean (NaN below two values, ±Infinity when they are all equal and it is not). */
  zScore(stats: RunningStats, value: number): number {
    const sd = RunningStats.stdDev(stats);
    if (Number.isNaN(sd)) return Number.NaN;
    if (sd === 0) return value === stats.mean ? 0 : value > stats.mean ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    return (value - stats.mean) / sd;
  },

  /** An AggregateFunction for windows and aggregatingState: the RunningStats of `valueOf` over the elements. */
  aggregate<IN>(valueOf: (element: IN) => number): AggregateFunction<IN, RunningStats, RunningStats> {
    return {
      createAccumulator: () => RunningStats.empty(),
      add: (element, acc) => RunningStats.add(acc, valueOf(element)),
      getResult: (acc) => acc,
      merge: (a, b) => RunningStats.merge(a, b),
    };
  },
};

/**
 * An exponentially weighted moving average and variance. `alpha` (0 < alpha ≤ 1) is the weight of
 * the newest value; with `addAt` the weight follows the time since the previous value instead, by
 * a half-life, for readings that come at irregular times (a sensor that reports when it changes).
 */
export interface Ewma {
  /** Values added. */
  count: number;
  mean: number;
  /** Exponentially weighted variance (West's incremental form); 0 after one value. */
  variance: number;
  /** Time of the newest value (addAt), NaN when none was timed. */
  lastMs: number;
}

export const Ewma = {
  empty(): Ewma {
    return { count: 0, mean: 0, variance: 0, lastMs: Number.NaN };
  },

  /** One more value with weight `alpha`; the first value is the mean. */
  add(ewma: Ewma, value: number, alpha: number): Ewma {
    if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`Ewma: alpha must be in (0, 1], not ${alpha}`);
    return step(ewma, value, alpha, ewma.lastMs);
  },

  /**
   * One more value at `timestampMs`: its weight is 1 − 2^(−Δ/halfLifeMs), Δ the time since the
   * previous value, so a value after one half-life weighs as much as everything before it.
   * A value older than the previous one gets no weight beyond a count.
   */
  addAt(ewma: Ewma, value: number, timestampMs: number, halfLifeMs: number): Ewma {
    if (!(halfLifeMs > 0)) throw new RangeError(`Ewma: halfLifeMs must be positive, not ${halfLifeMs}`);
    if (ewma.count === 0) return step(ewma, value, 1, timestampMs);
    const elapsedMs = Math.max(0, timestampMs - ewma.lastMs);
    return step(ewma, value, 1 - 2 ** (-elapsedMs / halfLifeMs), Math.max(ewma.lastMs, timestampMs));
  },

  stdDev(ewma: Ewma): number {
    return ewma.count === 0 ? Number.NaN : Math.sqrt(ewma.variance);
  },
};

function step(ewma: Ewma, value: number, alpha: number, lastMs: number): Ewma {
  if (ewma.count === 0) return { count: 1, mean: value, variance: 0, lastMs };
  const diff = value - ewma.mean;
  const increment = alpha * diff;
  return { count: ewma.count + 1, mean: ewma.mean + increment, variance: (1 - alpha) * (ewma.variance + diff * increment), lastMs };
}
