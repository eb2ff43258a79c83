import { pointOf, representativeRun } from './bench-points.ts';
import type { BenchPoint, BenchReport, BenchRun, LatencySummary, TrialSpread } from './report-types.ts';

/** Number formatting shared by the Markdown and HTML reports. */
export const fmtMs = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3));
export const fmtRate = (n: number): string => Math.round(n).toLocaleString('en');
export const fmtCpu = (s: number): string => (Number.isFinite(s) ? (s >= 10 ? s.toFixed(1) : s.toFixed(2)) : '—');
/** A latency figure, or '—' when nothing was measured (a job without windows has an empty 'windows' stage). */
export const fmtLatencyMs = (s: LatencySummary, figureMs: number): string => (s.count > 0 ? fmtMs(figureMs) : '—');

/** Rows of a table: a header row, then data rows, as plain strings. */
export type Table = string[][];

export const keptUpDefinition = (report: BenchReport): string =>
  `A run kept up when it finished within max(500 ms, 3 × trigger interval) of its schedule (its backlog did not grow) and its end-to-end p99 was within the ${report.config.p99BoundMs} ms bound; a point kept up when every one of its trials did.`;

/** Per mode: one row per offered rate — input and output apart, kept up, latency, CPU cost (medians over the trials). */
export function pointsTable(report: BenchReport, mode: string): Table {
  const rows: Table = [['offered /s', 'input events/s', 'output records/s', 'kept up', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'CPU s / M events']];
  for (const p of report.points.filter((x) => x.mode === mode)) {
    const f = p.figures;
    rows.push([fmtRate(p.offeredRatePerSec), fmtRate(f.inputRatePerSec.median), fmtRate(f.outputRatePerSec.median), keptUpCell(report, p), fmtMs(f.p50Ms.median), fmtMs(f.p90Ms.median), fmtMs(f.p99Ms.median), fmtMs(f.p999Ms.median), fmtMs(f.maxMs.median), fmtCpu(f.cpuSPerMillionEvents.median)]);
  }
  return rows;
}

/** "yes", or "no" and why: the trials that fell behind their schedule or over the bound. */
export function keptUpCell(report: BenchReport, point: BenchPoint): string {
  if (point.keptUp) return 'yes';
  const trials = report.runs.filter((r) => r.mode === point.mode && r.offeredRatePerSec === point.offeredRatePerSec);
  const reasons = new Set(trials.filter((t) => !t.keptUp).map((t) => whyNot(t, report.config.p99BoundMs)));
  const some = point.trials > 1 ? ` (${point.trials - point.trialsKeptUp} of ${point.trials} trials)` : '';
  return `no: ${[...reasons].join('; ')}${some}`;
}

function whyNot(run: BenchRun, boundMs: number): string {
  if (!run.onSchedule) return 'fell behind';
  return `p99 > ${boundMs} ms`;
}

/** With several trials: the spread of each figure across them. */
export function spreadTable(report: BenchReport): Table {
  const range = (s: TrialSpread, fmt: (v: number) => string) => `${fmt(s.min)} – ${fmt(s.max)} (±${s.median ? (((s.max - s.min) / 2 / s.median) * 100).toFixed(0) : '—'} %)`;
  const rows: Table = [['mode', 'offered /s', 'trials', 'p50 ms', 'p99 ms', 'input events/s', 'CPU s / M events']];
  for (const p of report.points) {
    rows.push([p.mode, fmtRate(p.offeredRatePerSec), String(p.trials), range(p.figures.p50Ms, fmtMs), range(p.figures.p99Ms, fmtMs), range(p.figures.inputRatePerSec, fmtRate), range(p.figures.cpuSPerMillionEvents, fmtCpu)]);
  }
  return rows;
}

/** The highest rate every mode ran at (the stage breakdown and ratios are shown there). */
export function highestCommonRate(report: BenchReport): number | undefined {
  const rates = report.config.ratesPerSec.filter((rate) => report.config.modes.every((m) => pointOf(report, m, rate)));
  return rates.length ? Math.max(...rates) : undefined;
}

export function stagesTable(report: BenchReport, rate: number): Table {
  const runs = report.config.modes.map((m) => representativeRun(report, pointOf(report, m, rate)!));
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

/** Continuous against micro-batch, per rate both ran: p99 and CPU cost (medians). */
export function ratioTable(report: BenchReport): Table {
  const rows: Table = [['offered /s', 'continuous p99 ms', 'micro-batch p99 ms', 'continuous / micro-batch p99', 'continuous CPU s / M', 'micro-batch CPU s / M']];
  for (const rate of report.config.ratesPerSec) {
    const c = pointOf(report, 'continuous', rate);
    const m = pointOf(report, 'micro-batch', rate);
    if (c && m) {
      rows.push([fmtRate(rate), fmtMs(c.figures.p99Ms.median), fmtMs(m.figures.p99Ms.median), `${((c.figures.p99Ms.median / m.figures.p99Ms.median) * 100).toFixed(1)} %`, fmtCpu(c.figures.cpuSPerMillionEvents.median), fmtCpu(m.figures.cpuSPerMillionEvents.median)]);
    }
  }
  return rows;
}

export function configLine(report: BenchReport): string {
  const c = report.config;
  const load = c.load === 'replay' ? "the job's own input replayed open-loop" : c.load === 'kafka' ? `the generator through Kafka topic ${c.kafka?.topic}` : "the job's generator";
  return `job ${c.job} (SHA-256 ${c.jobSha256?.slice(0, 16) ?? 'unknown'}…); load: ${load}; modes ${c.modes.join(', ')}; offered ${c.ratesPerSec.map(fmtRate).join(', ')} events/s; ${c.repeat} trial(s) per point; warm-up ${c.warmupS} s, measured ${c.durationS} s; ${c.parallelism} worker(s); micro-batch interval ${c.microBatchIntervalMs} ms${c.checkpointIntervalMs !== undefined ? `; checkpoints every ${c.checkpointIntervalMs} ms` : ''}; seed ${c.seed}; p99 bound ${c.p99BoundMs} ms`;
}

export function environmentLine(report: BenchReport): string {
  const e = report.environment;
  return `weir ${e.weirVersion} at commit ${e.gitCommit ?? 'unknown'}; Node ${e.node} (V8 ${e.v8}); ${e.cpuModel}, ${e.cores} cores, ${(e.memoryBytes / 2 ** 30).toFixed(0)} GiB; ${e.os} ${e.arch}`;
}

export function machineLoadLine(report: BenchReport): string | undefined {
  const l = report.environment.load;
  if (!l) return undefined;
  const others = l.otherProcessesCpuS === null ? 'CPU time of other processes unknown (no /proc/stat)' : `other processes used ${l.otherProcessesCpuS.toFixed(1)} CPU s during the measured windows (${l.otherProcessesCores!.toFixed(2)} cores on average)`;
  return `load average before ${l.loadAverageBefore.map((v) => v.toFixed(2)).join(' / ')} (1/5/15 min), during ${l.loadAverageDuring.mean.toFixed(2)} (highest ${l.loadAverageDuring.max.toFixed(2)}); ${others}; CPU governor ${l.cpuGovernors?.join(', ') ?? 'not readable'}`;
}

export function maxSustainableLines(report: BenchReport): string[] {
  return report.config.modes.map((m) => {
    const best = report.maxSustainable[m];
    return best ? `${m}: ${fmtRate(best.ratePerSec)} events/s (p99 ${fmtMs(best.p99Ms)} ms)` : `${m}: none of the offered rates kept up`;
  });
}

export const columnNotes = [
  'offered: the rate the load was scheduled at; input events/s: what the sources read per second of the measured window; output records/s: what reached the sinks (after the job\'s filters), per second of the same window.',
  'Latencies: end-to-end, from each record\'s scheduled creation time to visible in the output (open loop: corrected for coordinated omission).',
  'CPU s / M events: user + system CPU seconds of the whole process (every thread) during the measured window, per million input events.',
];
