import * as hdr from 'hdr-histogram-js';
import type { BenchMode, BenchReport, BenchRun } from './report-types.ts';

/**
 * Comparing two reports, figure by figure (ratio b / a), flagging only differences larger than
 * the runs' own noise:
 *  - a latency percentile p estimated from n samples has an order-statistic 95 % confidence
 *    interval of ranks n·p ± 1.96·√(n·p·(1−p)); reading those ranks back from the same
 *    histogram gives a latency interval per run; a ratio is flagged when the intervals of a and b
 *    do not overlap;
 *  - throughput: the mean of the per-second samples of the measured window ± 1.96 standard errors;
 *  - the maximum is one sample: it has no noise estimate, so it is shown and never flagged.
 * Different seeds, job, configuration, CPU or Node change what the comparison means: they are listed.
 */
export interface FigureComparison {
  mode: BenchMode;
  offeredRatePerSec: number;
  figure: string;
  a: number;
  b: number;
  ratio: number;
  significant: boolean;
}

export interface Comparison {
  figures: FigureComparison[];
  /** What differs between the two runs' configuration or environment. */
  differences: string[];
}

const percentiles: Array<[string, number]> = [
  ['p50', 0.5],
  ['p99', 0.99],
  ['p99.9', 0.999],
];

export function compareReports(a: BenchReport, b: BenchReport): Comparison {
  const figures: FigureComparison[] = [];
  for (const ra of a.runs) {
    const rb = b.runs.find((r) => r.mode === ra.mode && r.offeredRatePerSec === ra.offeredRatePerSec);
    if (!rb) continue;
    const base = { mode: ra.mode, offeredRatePerSec: ra.offeredRatePerSec };
    for (const [name, p] of percentiles) {
      const ia = percentileInterval(ra, p);
      const ib = percentileInterval(rb, p);
      figures.push({ ...base, figure: `${name} ms`, a: ia.value, b: ib.value, ratio: ib.value / ia.value, significant: ia.high < ib.low || ib.high < ia.low });
    }
    figures.push({ ...base, figure: 'max ms', a: ra.latency.endToEnd.maxMs, b: rb.latency.endToEnd.maxMs, ratio: rb.latency.endToEnd.maxMs / ra.latency.endToEnd.maxMs, significant: false });
    const ta = throughputInterval(ra);
    const tb = throughputInterval(rb);
    figures.push({ ...base, figure: 'achieved events/s', a: ra.achievedRatePerSec, b: rb.achievedRatePerSec, ratio: rb.achievedRatePerSec / ra.achievedRatePerSec, significant: ta.high < tb.low || tb.high < ta.low });
  }
  return { figures, differences: differences(a, b) };
}

function percentileInterval(run: BenchRun, p: number): { value: number; low: number; high: number } {
  const h = hdr.decodeFromCompressedBase64(run.latency.endToEnd.histogram);
  const n = h.totalCount;
  const half = 1.96 * Math.sqrt(n * p * (1 - p));
  const at = (rank: number) => h.getValueAtPercentile((Math.min(n, Math.max(1, rank)) / n) * 100) / 1000;
  const interval = { value: h.getValueAtPercentile(p * 100) / 1000, low: at(Math.floor(n * p - half)), high: at(Math.ceil(n * p + half)) };
  h.destroy();
  return interval;
}

function throughputInterval(run: BenchRun): { low: number; high: number } {
  const samples = run.throughputOverTime.filter((t) => t.tMs >= run.warmupS * 1000).map((t) => t.recordsPerSec);
  if (samples.length < 2) return { low: -Infinity, high: Infinity };
  const mean = samples.reduce((x, y) => x + y, 0) / samples.length;
  const sd = Math.sqrt(samples.reduce((x, y) => x + (y - mean) ** 2, 0) / (samples.length - 1));
  const half = (1.96 * sd) / Math.sqrt(samples.length);
  return { low: mean - half, high: mean + half };
}

function differences(a: BenchReport, b: BenchReport): string[] {
  const out: string[] = [];
  const check = (what: string, x: unknown, y: unknown) => {
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push(`${what}: ${JSON.stringify(x)} → ${JSON.stringify(y)}`);
  };
  check('job', a.config.job, b.config.job);
  check('seed', a.config.seed, b.config.seed);
  check('params', a.config.params, b.config.params);
  check('warm-up/duration s', [a.config.warmupS, a.config.durationS], [b.config.warmupS, b.config.durationS]);
  check('parallelism', a.config.parallelism, b.config.parallelism);
  check('micro-batch interval ms', a.config.microBatchIntervalMs, b.config.microBatchIntervalMs);
  check('commit', a.environment.gitCommit, b.environment.gitCommit);
  check('Node', a.environment.node, b.environment.node);
  check('CPU', `${a.environment.cpuModel} × ${a.environment.cores}`, `${b.environment.cpuModel} × ${b.environment.cores}`);
  check('OS', a.environment.os, b.environment.os);
  return out;
}

export function comparisonToText(c: Comparison): string {
  const lines = ['mode          offered/s  figure              a            b       b/a'];
  for (const f of c.figures) {
    lines.push(
      `${f.mode.padEnd(13)} ${String(f.offeredRatePerSec).padStart(9)}  ${f.figure.padEnd(18)} ${num(f.a).padStart(10)} ${num(f.b).padStart(12)}  ${f.ratio.toFixed(3).padStart(8)}${f.significant ? '  ← beyond noise' : ''}`,
    );
  }
  if (c.figures.length === 0) lines.push('(no mode and offered rate in common)');
  lines.push('', c.differences.length ? `The runs differ in: ${c.differences.join('; ')}` : 'Same configuration and environment.');
  return lines.join('\n');
}

const num = (v: number) => (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en') : v.toPrecision(4));
