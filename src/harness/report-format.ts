import type { BenchReport, BenchRun, LatencySummary } from './report-types.ts';

/** Number formatting shared by the Markdown and HTML reports. */
export const fmtMs = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3));
export const fmtRate = (n: number): string => Math.round(n).toLocaleString('en');
/** A latency figure, or '—' when nothing was measured (a job without windows has an empty 'windows' stage). */
export const fmtLatencyMs = (s: LatencySummary, figureMs: number): string => (s.count > 0 ? fmtMs(figureMs) : '—');

export const latencyColumns: Array<[string, (s: LatencySummary) => number]> = [
  ['p50', (s) => s.p50Ms],
  ['p90', (s) => s.p90Ms],
  ['p99', (s) => s.p99Ms],
  ['p99.9', (s) => s.p999Ms],
  ['max', (s) => s.maxMs],
];

/** Rows of a table: a header row, then data rows, as plain strings. */
export type Table = string[][];

export function runsTable(runs: BenchRun[]): Table {
  const rows: Table = [['offered /s', 'achieved /s', 'kept up', ...latencyColumns.map(([n]) => `${n} ms`)]];
  for (const r of runs) {
    rows.push([fmtRate(r.offeredRatePerSec), fmtRate(r.achievedRatePerSec), r.keptUp ? 'yes' : 'no', ...latencyColumns.map(([, f]) => fmtLatencyMs(r.latency.endToEnd, f(r.latency.endToEnd)))]);
  }
  return rows;
}

/** The highest rate every mode ran at (the stage breakdown and ratios are shown there). */
export function highestCommonRate(report: BenchReport): number | undefined {
  const rates = report.config.ratesPerSec.filter((rate) => report.config.modes.every((m) => report.runs.some((r) => r.mode === m && r.offeredRatePerSec === rate)));
  return rates.length ? Math.max(...rates) : undefined;
}

export function stagesTable(report: BenchReport, rate: number): Table {
  const runs = report.config.modes.map((m) => report.runs.find((r) => r.mode === m && r.offeredRatePerSec === rate)!);
  const stages = Object.keys(runs[0].latency.stages);
  const rows: Table = [['stage', ...runs.flatMap((r) => [`${r.mode} p50 ms`, `${r.mode} p99 ms`])]];
  for (const stage of [...stages, 'end-to-end']) {
    rows.push([stage, ...runs.flatMap((r) => {
      const s = stage === 'end-to-end' ? r.latency.endToEnd : r.latency.stages[stage];
      return [fmtLatencyMs(s, s.p50Ms), fmtLatencyMs(s, s.p99Ms)];
    })]);
  }
  return rows;
}

/** Continuous p99 as a share of micro-batch p99, per rate both ran. */
export function ratioTable(report: BenchReport): Table {
  const rows: Table = [['offered /s', 'continuous p99 ms', 'micro-batch p99 ms', 'continuous / micro-batch']];
  for (const rate of report.config.ratesPerSec) {
    const c = report.runs.find((r) => r.mode === 'continuous' && r.offeredRatePerSec === rate);
    const m = report.runs.find((r) => r.mode === 'micro-batch' && r.offeredRatePerSec === rate);
    if (c && m) rows.push([fmtRate(rate), fmtMs(c.latency.endToEnd.p99Ms), fmtMs(m.latency.endToEnd.p99Ms), `${((c.latency.endToEnd.p99Ms / m.latency.endToEnd.p99Ms) * 100).toFixed(1)} %`]);
  }
  return rows;
}

export function configLine(report: BenchReport): string {
  const c = report.config;
  return `job ${c.job}; modes ${c.modes.join(', ')}; offered ${c.ratesPerSec.map(fmtRate).join(', ')} events/s; warm-up ${c.warmupS} s, measured ${c.durationS} s; ${c.parallelism} worker(s); micro-batch interval ${c.microBatchIntervalMs} ms; seed ${c.seed}; p99 bound ${c.p99BoundMs} ms`;
}

export function environmentLine(report: BenchReport): string {
  const e = report.environment;
  return `commit ${e.gitCommit ?? 'unknown'}; Node ${e.node} (V8 ${e.v8}); ${e.cpuModel}, ${e.cores} cores, ${(e.memoryBytes / 2 ** 30).toFixed(0)} GiB; ${e.os} ${e.arch}`;
}

export function maxSustainableLines(report: BenchReport): string[] {
  return report.config.modes.map((m) => {
    const best = report.maxSustainable[m];
    return best ? `${m}: ${fmtRate(best.ratePerSec)} events/s (p99 ${fmtMs(best.p99Ms)} ms)` : `${m}: none of the offered rates kept up within p99 ≤ ${report.config.p99BoundMs} ms`;
  });
}
