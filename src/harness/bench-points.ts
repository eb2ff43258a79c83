/** Trials summed up per (mode, offered rate) point: the median and the spread of each figure. */
import type { BenchMode, BenchPoint, BenchReport, BenchRun, PointFigure, TrialSpread } from './report-types.ts';

const figureOf: Record<PointFigure, (r: BenchRun) => number> = {
  p50Ms: (r) => r.latency.endToEnd.p50Ms,
  p90Ms: (r) => r.latency.endToEnd.p90Ms,
  p99Ms: (r) => r.latency.endToEnd.p99Ms,
  p999Ms: (r) => r.latency.endToEnd.p999Ms,
  maxMs: (r) => r.latency.endToEnd.maxMs,
  inputRatePerSec: (r) => r.inputRatePerSec,
  outputRatePerSec: (r) => r.outputRatePerSec,
  cpuSPerMillionEvents: (r) => r.cpu.perMillionEventsS,
};

export function figureValue(run: BenchRun, figure: PointFigure): number {
  return figureOf[figure](run);
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function spread(values: number[]): TrialSpread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** The points of a set of trials, in mode order then by rate. A point kept up when every one of its trials did. */
export function summarizePoints(runs: BenchRun[], modes: BenchMode[], rates: number[]): BenchPoint[] {
  const points: BenchPoint[] = [];
  for (const mode of modes) {
    for (const rate of rates) {
      const trials = runs.filter((r) => r.mode === mode && r.offeredRatePerSec === rate);
      if (trials.length === 0) continue;
      const figures = Object.fromEntries(Object.entries(figureOf).map(([name, f]) => [name, spread(trials.map(f))])) as Record<PointFigure, TrialSpread>;
      // The trial with the median p99 (the lower middle one for an even count) stands for the point.
      const byP99 = [...trials].sort((a, b) => a.latency.endToEnd.p99Ms - b.latency.endToEnd.p99Ms);
      const trialsKeptUp = trials.filter((t) => t.keptUp).length;
      points.push({ mode, offeredRatePerSec: rate, trials: trials.length, keptUp: trialsKeptUp === trials.length, trialsKeptUp, figures, representativeTrial: byP99[(byP99.length - 1) >> 1].trial });
    }
  }
  return points;
}

export function pointOf(report: BenchReport, mode: BenchMode, rate: number): BenchPoint | undefined {
  return report.points.find((p) => p.mode === mode && p.offeredRatePerSec === rate);
}

/** The trial that stands for a point (its histogram, stages and throughput are the ones shown). */
export function representativeRun(report: BenchReport, point: BenchPoint): BenchRun {
  return report.runs.find((r) => r.mode === point.mode && r.offeredRatePerSec === point.offeredRatePerSec && r.trial === point.representativeTrial)!;
}

/** Per mode, the highest offered rate whose point kept up. */
export function maxSustainable(points: BenchPoint[], modes: BenchMode[]): BenchReport['maxSustainable'] {
  const result: BenchReport['maxSustainable'] = {};
  for (const mode of modes) {
    const best = points.filter((p) => p.mode === mode && p.keptUp).sort((a, b) => b.offeredRatePerSec - a.offeredRatePerSec)[0];
    result[mode] = best ? { ratePerSec: best.offeredRatePerSec, p99Ms: best.figures.p99Ms.median } : null;
  }
  return result;
}
