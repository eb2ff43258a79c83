import * as hdr from 'hdr-histogram-js';
import { configLine, environmentLine, highestCommonRate, maxSustainableLines, ratioTable, pointsTable, stagesTable, type Table } from './report-format.ts';
import { esc, lineChart, type Series } from './report-svg.ts';
import type { BenchReport } from './report-types.ts';

/** One self-contained page: inline CSS and SVG, nothing fetched. */
export function reportToHtml(report: BenchReport): string {
  const rate = highestCommonRate(report) ?? Math.max(...report.runs.map((r) => r.offeredRatePerSec));
  const body: string[] = [`<h1>weir benchmark</h1>`, `<p>${esc(configLine(report))}</p>`, `<p>${esc(environmentLine(report))}</p>`];
  body.push(`<h2>Latency percentiles at ${rate.toLocaleString('en')} events/s</h2>`, percentilePlot(report, rate));
  body.push('<h2>Latency against offered load</h2>', latencyVsLoadPlot(report));
  body.push('<h2>Throughput over time</h2>', throughputPlot(report));
  for (const mode of report.config.modes) body.push(`<h2>${esc(mode)}</h2>`, htmlTable(pointsTable(report, mode)));
  body.push('<h2>Maximum sustainable throughput</h2>', `<ul>${maxSustainableLines(report).map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`);
  if (highestCommonRate(report) !== undefined) body.push(`<h2>Where the time goes at ${rate.toLocaleString('en')} events/s</h2>`, htmlTable(stagesTable(report, rate)));
  const ratios = ratioTable(report);
  if (ratios.length > 1) body.push('<h2>Continuous against micro-batch</h2>', htmlTable(ratios));
  if (report.notes.length) body.push('<h2>Notes</h2>', `<ul>${report.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
  body.push('<h2>Configuration and environment</h2>', `<pre>${esc(JSON.stringify({ config: report.config, environment: report.environment, createdAt: report.createdAt }, null, 2))}</pre>`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>weir benchmark</title><style>${css}</style></head><body>${body.join('\n')}</body></html>\n`;
}

const css = `body{font:14px/1.45 system-ui,sans-serif;margin:24px;max-width:1000px;color:#222}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
svg.plot{display:block;margin:8px 0 20px;font-size:12px}svg .g{stroke:#e4e4e4}svg .frame{fill:none;stroke:#888}svg .t{font-weight:600}
pre{background:#f6f6f6;padding:8px;overflow:auto}`;

/** x = −log10(1 − p): 1 = 90 %, 2 = 99 %, … so the tail gets room. */
const percentileTicks: Array<[number, string]> = [
  [0, '0 %'],
  [Math.log10(2), '50 %'],
  [1, '90 %'],
  [2, '99 %'],
  [3, '99.9 %'],
  [4, '99.99 %'],
];

function percentilePlot(report: BenchReport, rate: number): string {
  const series: Series[] = report.runs
    .filter((r) => r.offeredRatePerSec === rate)
    .map((r) => {
      const h = hdr.decodeFromCompressedBase64(r.latency.endToEnd.histogram);
      const points: Array<[number, number]> = [];
      for (let x = 0; x <= 4.0001; x += 0.05) points.push([x, h.getValueAtPercentile((1 - 10 ** -x) * 100) / 1000]);
      h.destroy();
      return { label: r.mode, points };
    });
  return lineChart({ name: 'percentiles', title: 'End-to-end latency by percentile (log scale)', xLabel: 'percentile', yLabel: 'latency (ms)', yLog: true, xTicks: percentileTicks, series });
}

function latencyVsLoadPlot(report: BenchReport): string {
  const series: Series[] = report.config.modes.flatMap((mode) => {
    const runs = report.runs.filter((r) => r.mode === mode).sort((a, b) => a.offeredRatePerSec - b.offeredRatePerSec);
    return [
      { label: `${mode} p50`, points: runs.map((r) => [r.offeredRatePerSec, r.latency.endToEnd.p50Ms] as [number, number]), dashed: true },
      { label: `${mode} p99`, points: runs.map((r) => [r.offeredRatePerSec, r.latency.endToEnd.p99Ms] as [number, number]) },
    ];
  });
  return lineChart({ name: 'latency-vs-load', title: 'End-to-end latency against offered load', xLabel: 'offered load (events/s)', yLabel: 'latency (ms)', yLog: true, series });
}

function throughputPlot(report: BenchReport): string {
  const series: Series[] = report.runs.map((r) => ({
    label: `${r.mode} @ ${r.offeredRatePerSec >= 1000 ? `${+(r.offeredRatePerSec / 1000).toPrecision(3)}k` : r.offeredRatePerSec}/s`,
    points: r.throughputOverTime.map((t) => [t.tMs / 1000, t.recordsPerSec] as [number, number]),
  }));
  return lineChart({ name: 'throughput', title: 'Records/s reaching the sinks', xLabel: 'time (s)', yLabel: 'records/s', series });
}

function htmlTable(rows: Table): string {
  const [head, ...body] = rows;
  return `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${body.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>`;
}
