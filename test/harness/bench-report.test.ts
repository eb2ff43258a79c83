import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBench } from '../../src/harness/bench.ts';
import { benchNotes } from '../../src/harness/bench-notes.ts';
import { compareReports, comparisonToText } from '../../src/harness/report-compare.ts';
import { readReport, writeReport } from '../../src/harness/report-io.ts';
import { reportToHtml } from '../../src/harness/report-html.ts';
import { reportToMarkdown } from '../../src/harness/report-markdown.ts';
import type { BenchReport } from '../../src/harness/report-types.ts';

const clicks = new URL('../../examples/clicks.ts', import.meta.url);
let report: BenchReport;
let dir: string;

// One real, small experiment (both modes, two rates) shared by the tests below.
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weir-report-'));
  report = await runBench({ job: clicks, modes: ['continuous', 'micro-batch'], ratesPerSec: [5_000, 20_000], warmupS: 0.3, durationS: 1, microBatchIntervalMs: 50, seed: 3, p99BoundMs: 250, params: {} });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench report', () => {
  it('holds every run with latency, stages, throughput and an output checksum; both modes agree on the output', () => {
    expect(report.runs).toHaveLength(4);
    for (const run of report.runs) {
      expect(run.records).toBeGreaterThan(0);
      expect(run.latency.endToEnd.count).toBe(run.records);
      expect(Object.keys(run.latency.stages).sort()).toEqual(['operators', 'rings', 'source', 'until-visible', 'windows']);
      expect(run.throughputOverTime.length).toBeGreaterThan(0);
      expect(run.outputChecksum).toMatch(/^[0-9a-f]{16}-\d+$/);
    }
    for (const rate of [5_000, 20_000]) {
      const [c, m] = ['continuous', 'micro-batch'].map((mode) => report.runs.find((r) => r.mode === mode && r.offeredRatePerSec === rate)!);
      expect(m.outputChecksum).toBe(c.outputChecksum);
    }
    expect(report.environment.cores).toBeGreaterThan(0);
    expect(report.environment.node).toBe(process.version);
    expect(report.notes.join('\n')).toContain('same output');
  });

  it('gives each point its input and output rates, its CPU cost and one verdict on keeping up', () => {
    expect(report.points).toHaveLength(4);
    for (const point of report.points) {
      const [run] = report.runs.filter((r) => r.mode === point.mode && r.offeredRatePerSec === point.offeredRatePerSec);
      expect(point.trials).toBe(1);
      // One trial: the median is that trial's figure, the spread is nothing.
      expect(point.figures.p99Ms).toEqual({ median: run.latency.endToEnd.p99Ms, min: run.latency.endToEnd.p99Ms, max: run.latency.endToEnd.p99Ms });
      // Input: the source records after the warm-up (the generator's rate × the measured seconds);
      // output: the records that passed the job's filter, fewer.
      expect(run.inputRecords).toBe(point.offeredRatePerSec * 1);
      expect(run.inputRatePerSec).toBeCloseTo(run.inputRecords / run.measuredS, 6);
      expect(run.outputRatePerSec).toBeCloseTo(run.records / run.measuredS, 6);
      expect(run.records).toBeLessThan(run.inputRecords);
      expect(run.cpu.userS + run.cpu.systemS).toBeGreaterThan(0);
      expect(run.cpu.perMillionEventsS).toBeCloseTo(((run.cpu.userS + run.cpu.systemS) * 1e6) / run.inputRecords, 6);
      expect(run.keptUp).toBe(run.onSchedule && run.latency.endToEnd.p99Ms <= 250);
      expect(point.keptUp).toBe(run.keptUp);
    }
    for (const mode of ['continuous', 'micro-batch'] as const) {
      const best = report.points.filter((p) => p.mode === mode && p.keptUp).map((p) => p.offeredRatePerSec);
      expect(report.maxSustainable[mode]?.ratePerSec ?? null).toBe(best.length ? Math.max(...best) : null);
    }
    expect(report.config.jobSha256).toBe(createHash('sha256').update(readFileSync(clicks)).digest('hex'));
    expect(report.environment.weirVersion).toBe(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
    expect(report.environment.load!.loadAverageBefore).toHaveLength(3);
  });

  it('renders Markdown with the tables and figures', () => {
    const md = reportToMarkdown(report);
    expect(md).toContain('## continuous');
    expect(md).toContain('## micro-batch');
    expect(md).toContain('| offered /s | input events/s | output records/s | kept up | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | CPU s / M events |');
    expect(md).toContain('| 20,000 |');
    expect(md).toContain('A run kept up when');
    expect(md).toContain(`SHA-256 ${report.config.jobSha256!.slice(0, 16)}`);
    expect(md).toContain(`weir ${report.environment.weirVersion}`);
    expect(md).toContain('An output checksum reads');
    expect(md).toContain('Where the time goes at 20,000 events/s');
    expect(md).toContain('until-visible');
    // clicks has no windows: the stage is there, empty, and shown as such.
    expect(report.runs.every((r) => r.latency.stages.windows.count === 0)).toBe(true);
    expect(md).toContain('| windows | — | — | — | — |');
    expect(md).toContain(report.runs[0].outputChecksum);
  });

  it('renders one self-contained HTML page with its plots, of finite coordinates', () => {
    const html = reportToHtml(report);
    expect(html).not.toMatch(/<script|<link|src="http/);
    for (const name of ['percentiles', 'latency-vs-load', 'cpu-vs-load', 'throughput']) expect(html).toContain(`class="plot" data-plot="${name}"`);
    expect(html).toContain('An output checksum reads');
    const coordinates = [...html.matchAll(/points="([^"]*)"/g)].flatMap((m) => m[1].split(/[ ,]/).filter(Boolean).map(Number));
    expect(coordinates.length).toBeGreaterThan(100);
    expect(coordinates.every(Number.isFinite)).toBe(true);
  });

  it('prints the micro-batch model only where its inputs mean something, and says why not elsewhere', () => {
    const variant = (edit: (r: BenchReport) => void): string[] => {
      const r: BenchReport = JSON.parse(JSON.stringify(report));
      for (const p of r.points) p.keptUp = true;
      for (const run of r.runs) run.latency.stages.source.p50Ms = run.mode === 'continuous' ? 0.2 : run.latency.stages.source.p50Ms;
      edit(r);
      return benchNotes(r).filter((n) => n.startsWith('micro-batch at 20,000'));
    };
    const c = report.runs.find((r) => r.mode === 'continuous' && r.offeredRatePerSec === 20_000)!;
    const mb = report.runs.find((r) => r.mode === 'micro-batch' && r.offeredRatePerSec === 20_000)!;
    const [shown] = variant(() => {});
    const predictedMs = 50 / 2 + mb.latency.stages['until-visible'].p50Ms + c.latency.endToEnd.p50Ms;
    expect(shown).toContain(`predicts ${predictedMs.toFixed(1)} ms`);
    const [backlog] = variant((r) => (r.runs.find((x) => x.mode === 'continuous' && x.offeredRatePerSec === 20_000)!.latency.stages.source.p50Ms = 40));
    expect(backlog).toBe('micro-batch at 20,000 events/s: the latency model is not shown: the continuous records waited 40.0 ms (median) at the source, so its median measures a backlog, not the processing cost.');
    const [behind] = variant((r) => (r.points.find((p) => p.mode === 'continuous' && p.offeredRatePerSec === 20_000)!.keptUp = false));
    expect(behind).toContain('the latency model is not shown: the continuous run did not keep up');
    const [mbBehind] = variant((r) => (r.points.find((p) => p.mode === 'micro-batch' && p.offeredRatePerSec === 20_000)!.keptUp = false));
    expect(mbBehind).toContain('the latency model is not shown: the micro-batch run did not keep up');
  });

  it('writes and reads the report, with an HdrHistogram .hgrm file per run; rejects a file that is not one', () => {
    const files = writeReport(dir, report);
    expect(readReport(files.json)).toEqual(report);
    expect(files.hgrm).toHaveLength(report.runs.length);
    for (const run of report.runs) {
      expect(run.hgrmFile).toBe(`hgrm/${run.mode}-${run.offeredRatePerSec}-trial1.hgrm`);
      const text = readFileSync(join(dir, run.hgrmFile!), 'utf8');
      expect(text.split('\n')[0].trim().split(/\s+/)).toEqual(['Value', 'Percentile', 'TotalCount', '1/(1-Percentile)']);
      expect(text).toContain(`Total count    =`);
      expect(Number(/Total count\s+=\s+(\d+)/.exec(text)![1])).toBe(run.records);
      // The row at the 50th percentile holds the median, in ms (within the histogram's 0.1 % resolution).
      const median = text.split('\n').map((l) => l.trim().split(/\s+/)).find((f) => f.length === 4 && Number(f[1]) === 0.5)!;
      expect(Math.abs(Number(median[0]) - run.latency.endToEnd.p50Ms)).toBeLessThanOrEqual(0.002 * run.latency.endToEnd.p50Ms + 0.01);
    }
    const bogus = join(dir, 'bogus.json');
    writeFileSync(bogus, '{"schema":"something-else"}');
    expect(() => readReport(bogus)).toThrow(/not a weir benchmark report/);
    writeFileSync(bogus, '{"schema":"weir-bench/1"}');
    expect(() => readReport(bogus)).toThrow(/an older format \(weir-bench\/1.*run the bench again/);
  });

  it('compare judges against the trials: too few trials, within noise, beyond noise', () => {
    // One trial per point cannot be judged, however different the figures.
    const single = compareReports(report, report);
    expect(single.figures.every((f) => f.significant === null)).toBe(true);
    expect(single.differences).toEqual([]);
    expect(comparisonToText(single)).toContain('too few trials to judge');
    // a: four trials, identical to the measured one; b: four trials with every latency ×3, seed changed.
    const trials = (r: BenchReport, k: number): BenchReport => {
      const out: BenchReport = JSON.parse(JSON.stringify(r));
      out.runs = r.runs.flatMap((run) => [1, 2, 3, 4].map((trial) => ({ ...scaledRun(run, k), trial })));
      out.config.repeat = 4;
      return out;
    };
    const a = trials(report, 1);
    const same = compareReports(a, a);
    expect(same.figures.every((f) => f.significant === false)).toBe(true);
    const slower = trials(report, 3);
    slower.config.seed = 4;
    const c = compareReports(a, slower);
    const p50 = c.figures.filter((f) => f.figure === 'p50 ms');
    expect(p50).toHaveLength(4);
    // 4 against 4 trials, completely separated: p = 2 / C(8, 4) = 2/70.
    expect(p50.every((f) => f.ratio > 2.5 && f.significant === true && Math.abs(f.pValue! - 2 / 70) < 1e-9)).toBe(true);
    expect(c.differences.join(' ')).toContain('seed');
    expect(comparisonToText(c)).toContain('beyond noise');
  });
});

function scaledRun(run: BenchReport['runs'][number], k: number): BenchReport['runs'][number] {
  if (k === 1) return run;
  const endToEnd = { ...run.latency.endToEnd, histogram: scaled(run.latency.endToEnd.histogram, k) };
  for (const f of ['minMs', 'meanMs', 'p50Ms', 'p90Ms', 'p99Ms', 'p999Ms', 'maxMs'] as const) endToEnd[f] = run.latency.endToEnd[f] * k;
  return { ...run, latency: { ...run.latency, endToEnd } };
}

/** The same histogram with every value multiplied by k. */
function scaled(encoded: string, k: number): string {
  const h = hdr.decodeFromCompressedBase64(encoded);
  const out = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  const step = 0.05;
  // Walk the distribution by percentile and re-record scaled values with the right weights.
  let previous = 0;
  for (let p = step; p <= 100 + 1e-9; p += step) {
    const rank = Math.round((p / 100) * h.totalCount);
    const count = rank - previous;
    if (count > 0) out.recordValueWithCount(Math.min(3_600_000_000, h.getValueAtPercentile(p) * k), count);
    previous = rank;
  }
  return hdr.encodeIntoCompressedBase64(out);
}
