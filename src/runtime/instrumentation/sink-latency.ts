import { nowMs } from '../../util/clock.ts';

/**
 * The end-to-end latency every job measures for its metrics (weir_end_to_end_latency_seconds and
 * metrics().latency): from a record's creation at its source (a generator's scheduled time, a
 * Kafka record's timestamp — sources that cannot tell give NaN and are not counted) to the moment
 * a sink's write() took it. It is not the harness's creation → visible (latency-recorder.ts),
 * which waits for the sink's flush and costs far more: this one costs a clock reading and a few
 * comparisons per record reaching a sink, and a worker's counts reach shared memory with its
 * other metrics (metrics.ts).
 *
 * Fixed buckets, as a Prometheus histogram has: upper bounds in ms, the last one +∞.
 */
export const latencyBucketBoundsMs: readonly number[] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, Number.POSITIVE_INFINITY];

export class SinkLatency {
  /** Records per bucket (not cumulative), as latencyBucketBoundsMs. */
  readonly counts = new Float64Array(latencyBucketBoundsMs.length);
  sumMs = 0;
  count = 0;

  observe(createdMs: number): void {
    // NaN (no creation time) fails the comparison: nothing recorded.
    if (!(createdMs > 0)) return;
    const spanMs = Math.max(0, nowMs() - createdMs);
    const bounds = latencyBucketBoundsMs;
    let i = 0;
    while (spanMs > bounds[i]) i++;
    this.counts[i]++;
    this.sumMs += spanMs;
    this.count++;
  }
}

export interface LatencyHistogram {
  /** Records measured (sinks' writes of records with a creation time). */
  count: number;
  sumMs: number;
  /** Cumulative, as Prometheus': records at or below each bound (the last is +∞, equal to count). */
  buckets: Array<{ leMs: number; count: number }>;
  /** Estimated from the buckets by linear interpolation inside one (Prometheus' histogram_quantile); undefined with no record. */
  p50Ms?: number;
  p90Ms?: number;
  p99Ms?: number;
}

/** Adds the workers' per-bucket counts into a cumulative histogram with its percentiles. */
export function latencyHistogram(perBucket: Float64Array, sumMs: number): LatencyHistogram {
  let running = 0;
  const buckets = latencyBucketBoundsMs.map((leMs, i) => ({ leMs, count: (running += perBucket[i]) }));
  const count = running;
  const histogram: LatencyHistogram = { count, sumMs, buckets };
  if (count > 0) {
    histogram.p50Ms = quantileMs(buckets, 0.5);
    histogram.p90Ms = quantileMs(buckets, 0.9);
    histogram.p99Ms = quantileMs(buckets, 0.99);
  }
  return histogram;
}

/** As Prometheus' histogram_quantile: linear inside the bucket; in the +∞ bucket, the last finite bound. */
function quantileMs(buckets: LatencyHistogram['buckets'], q: number): number {
  const total = buckets[buckets.length - 1].count;
  const rank = q * total;
  let lowerMs = 0;
  let below = 0;
  for (const { leMs, count } of buckets) {
    if (count >= rank && count > below) {
      if (!Number.isFinite(leMs)) return lowerMs;
      return lowerMs + ((leMs - lowerMs) * (rank - below)) / (count - below);
    }
    lowerMs = leMs;
    below = count;
  }
  return lowerMs;
}
