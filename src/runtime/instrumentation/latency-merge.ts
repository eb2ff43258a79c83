import type * as Hdr from 'hdr-histogram-js';
import { lazyRequire } from '../../util/lazy-require.ts';
import { latencyStages, newLatencyHistogram, type LatencySnapshot, type LatencyStage } from './latency-recorder.ts';

const hdr = lazyRequire<typeof Hdr>('hdr-histogram-js');

/** A latency distribution as reports keep it: percentiles in ms and the compressed histogram. */
export interface LatencySummary {
  count: number;
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** Compressed base64 HDR histogram of microseconds. */
  histogram: string;
}

/** Adds up the workers' latency snapshots (HDR histograms add exactly: counts per bucket). */
export class LatencyAccumulator {
  private readonly endToEnd = newLatencyHistogram();
  private readonly stages = Object.fromEntries(latencyStages.map((s) => [s, newLatencyHistogram()])) as Record<LatencyStage, Hdr.Histogram>;

  add(snapshot: LatencySnapshot): void {
    addEncoded(this.endToEnd, snapshot.endToEnd);
    for (const stage of latencyStages) addEncoded(this.stages[stage], snapshot.stages[stage]);
  }

  snapshot(): LatencySnapshot {
    return {
      endToEnd: hdr().encodeIntoCompressedBase64(this.endToEnd),
      stages: Object.fromEntries(latencyStages.map((s) => [s, hdr().encodeIntoCompressedBase64(this.stages[s])])) as Record<LatencyStage, string>,
    };
  }
}

function addEncoded(into: Hdr.Histogram, encoded: string): void {
  const h = hdr().decodeFromCompressedBase64(encoded);
  if (h.totalCount > 0) into.add(h);
  h.destroy();
}

/** Percentiles of an encoded histogram of microseconds, in milliseconds. */
export function summarize(encoded: string): LatencySummary {
  const h = hdr().decodeFromCompressedBase64(encoded);
  const ms = (us: number) => us / 1000;
  const summary: LatencySummary = {
    count: h.totalCount,
    minMs: h.totalCount ? ms(h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : Math.min(h.minNonZeroValue, h.getValueAtPercentile(0))) : 0,
    meanMs: ms(h.mean),
    p50Ms: ms(h.getValueAtPercentile(50)),
    p90Ms: ms(h.getValueAtPercentile(90)),
    p99Ms: ms(h.getValueAtPercentile(99)),
    p999Ms: ms(h.getValueAtPercentile(99.9)),
    maxMs: ms(h.maxValue),
    histogram: encoded,
  };
  h.destroy();
  return summary;
}
