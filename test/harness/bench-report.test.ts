import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBench } from '../../src/harness/bench.ts';
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

  it('renders Markdown with the tables and figures', () => {
    const md = reportToMarkdown(report);
    expect(md).toContain('## continuous — end-to-end latency');
    expect(md).toContain('## micro-batch — end-to-end latency');
    expect(md).toContain('| 20,000 |');
    expect(md).toContain('Where the time goes at 20,000 events/s');
    expect(md).toContain('until-visible');
    // clicks has no windows: the stage is there, empty, and shown as such.
    expect(report.runs.every((r) => r.latency.stages.windows.count === 0)).toBe(true);
    expect(md).toContain('| windows | — | — | — | — |');
    expect(md).toContain(report.runs[0].outputChecksum);
  });

  it('renders one self-contained HTML page with three plots of finite coordinates', () => {
    const html = reportToHtml(report);
    expect(html).not.toMatch(/<script|<link|src="http/);
    for (const name of ['percentiles', 'latency-vs-load', 'throughput']) expect(html).toContain(`class="plot" data-plot="${name}"`);
    const coordinates = [...html.matchAll(/points="([^"]*)"/g)].flatMap((m) => m[1].split(/[ ,]/).filter(Boolean).map(Number));
    expect(coordinates.length).toBeGreaterThan(100);
    expect(coordinates.every(Number.isFinite)).toBe(true);
  });

  it('writes and reads the report; rejects a file that is not one', () => {
    const files = writeReport(dir, report);
    expect(readReport(files.json)).toEqual(report);
    const bogus = join(dir, 'bogus.json');
    writeFileSync(bogus, '{"schema":"something-else"}');
    expect(() => readReport(bogus)).toThrow(/not a weir benchmark report/);
  });

  it('compare flags a clear regression, not a report against itself, and lists config differences', () => {
    const same = compareReports(report, report);
    expect(same.figures.some((f) => f.significant)).toBe(false);
    expect(same.differences).toEqual([]);
    // b: the same runs with every latency ×3 — the histograms re-encoded accordingly.
    const slower: BenchReport = JSON.parse(JSON.stringify(report));
    slower.config.seed = 4;
    for (const run of slower.runs) run.latency.endToEnd.histogram = scaled(run.latency.endToEnd.histogram, 3);
    const c = compareReports(report, slower);
    const p50 = c.figures.filter((f) => f.figure === 'p50 ms');
    expect(p50.every((f) => f.ratio > 2.5 && f.significant)).toBe(true);
    expect(c.differences.join(' ')).toContain('seed');
    expect(comparisonToText(c)).toContain('beyond noise');
  });
});

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
