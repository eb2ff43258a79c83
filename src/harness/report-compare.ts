import { figureValue } from './bench-points.ts';
import { median } from './bench-points.ts';
import { rankSumTest, significanceLevel } from './rank-sum.ts';
import type { BenchMode, BenchReport, PointFigure } from './report-types.ts';

/**
 * Comparing two reports, figure by figure (ratio of the medians over trials, b / a), judged against
 * run-to-run noise: the trials of a point in a and in b are two samples, and a difference is
 * flagged when a two-sided exact Mann–Whitney rank-sum test rejects "same distribution" at 5 %.
 * A test on the trials, not on the records within one run: records of one run share the machine's
 * state of that minute, so within-run intervals are far too narrow — two identical runs on a busy
 * machine differ by more than they say.
 *
 * With few trials no difference can reach 5 %: 3 against 3 trials separate completely by chance
 * with probability 2/20 = 10 %. Such figures are shown with "too few trials to judge" (it takes 4
 * and 4, or 3 and 5, or 2 and 9 …). Different seeds, job, configuration, CPU or Node change what
 * the comparison means: they are listed.
 */
export interface FigureComparison {
  mode: BenchMode;
  offeredRatePerSec: number;
  figure: string;
  /** Medians over the trials. */
  a: number;
  b: number;
  ratio: number;
  trialsA: number;
  trialsB: number;
  /** The test's two-sided p-value; null when the trials cannot reach the significance level at all. */
  pValue: number | null;
  /** true: beyond run-to-run noise; false: within it; null: too few trials to judge. */
  significant: boolean | null;
}

export interface Comparison {
  figures: FigureComparison[];
  /** What differs between the two runs' configuration or environment. */
  differences: string[];
}

const compared: Array<[string, PointFigure]> = [
  ['p50 ms', 'p50Ms'],
  ['p99 ms', 'p99Ms'],
  ['p99.9 ms', 'p999Ms'],
  ['max ms', 'maxMs'],
  ['input events/s', 'inputRatePerSec'],
  ['output records/s', 'outputRatePerSec'],
  ['CPU s / M events', 'cpuSPerMillionEvents'],
];

export function compareReports(a: BenchReport, b: BenchReport): Comparison {
  const figures: FigureComparison[] = [];
  for (const pa of a.points) {
    const trialsOf = (r: BenchReport) => r.runs.filter((t) => t.mode === pa.mode && t.offeredRatePerSec === pa.offeredRatePerSec);
    const ta = trialsOf(a);
    const tb = trialsOf(b);
    if (tb.length === 0) continue;
    for (const [name, figure] of compared) {
      const xs = ta.map((t) => figureValue(t, figure));
      const ys = tb.map((t) => figureValue(t, figure));
      const test = rankSumTest(xs, ys);
      const ma = median(xs);
      const mb = median(ys);
      figures.push({
        mode: pa.mode,
        offeredRatePerSec: pa.offeredRatePerSec,
        figure: name,
        a: ma,
        b: mb,
        ratio: mb / ma,
        trialsA: xs.length,
        trialsB: ys.length,
        pValue: test.canReject ? test.pValue : null,
        significant: test.canReject ? test.pValue < significanceLevel : null,
      });
    }
  }
  return { figures, differences: differences(a, b) };
}

function differences(a: BenchReport, b: BenchReport): string[] {
  const out: string[] = [];
  const check = (what: string, x: unknown, y: unknown) => {
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push(`${what}: ${JSON.stringify(x)} → ${JSON.stringify(y)}`);
  };
  check('job', a.config.job, b.config.job);
  check('job file SHA-256', a.config.jobSha256, b.config.jobSha256);
  check('load', a.config.load, b.config.load);
  check('seed', a.config.seed, b.config.seed);
  check('params', a.config.params, b.config.params);
  check('warm-up/duration s', [a.config.warmupS, a.config.durationS], [b.config.warmupS, b.config.durationS]);
  check('parallelism', a.config.parallelism, b.config.parallelism);
  check('micro-batch interval ms', a.config.microBatchIntervalMs, b.config.microBatchIntervalMs);
  check('checkpoint interval ms', a.config.checkpointIntervalMs, b.config.checkpointIntervalMs);
  check('commit', a.environment.gitCommit, b.environment.gitCommit);
  check('weir', a.environment.weirVersion, b.environment.weirVersion);
  check('Node', a.environment.node, b.environment.node);
  check('CPU', `${a.environment.cpuModel} × ${a.environment.cores}`, `${b.environment.cpuModel} × ${b.environment.cores}`);
  check('OS', a.environment.os, b.environment.os);
  return out;
}

export function comparisonToText(c: Comparison): string {
  const lines = ['mode          offered/s  figure              a (median)   b (median)       b/a  trials  judgement'];
  for (const f of c.figures) {
    const judgement = f.significant === null ? 'too few trials to judge' : f.significant ? `← beyond noise (p = ${f.pValue!.toFixed(3)})` : `within noise (p = ${f.pValue!.toFixed(2)})`;
    lines.push(
      `${f.mode.padEnd(13)} ${String(f.offeredRatePerSec).padStart(9)}  ${f.figure.padEnd(18)} ${num(f.a).padStart(10)} ${num(f.b).padStart(12)}  ${f.ratio.toFixed(3).padStart(8)}  ${`${f.trialsA}/${f.trialsB}`.padStart(6)}  ${judgement}`,
    );
  }
  if (c.figures.length === 0) lines.push('(no mode and offered rate in common)');
  if (c.figures.some((f) => f.significant === null)) {
    lines.push('', `Too few trials to judge: no difference between so few trials reaches the ${significanceLevel * 100} % level (rank-sum test on the trials). Run both with --repeat 5 (4 each at least).`);
  }
  lines.push('', c.differences.length ? `The runs differ in: ${c.differences.join('; ')}` : 'Same configuration and environment.');
  return lines.join('\n');
}

const num = (v: number) => (!Number.isFinite(v) ? String(v) : Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en') : v.toPrecision(4));
