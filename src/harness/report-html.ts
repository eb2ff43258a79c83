import { checksumFormat } from './bench-notes.ts';
import { columnNotes, configLine, environmentLine, highestCommonRate, keptUpDefinition, machineLoadLine, maxSustainableLines, pointsTable, ratioTable, spreadTable, stagesTable, type Table } from './report-format.ts';
import { cpuVsLoadPlot, latencyVsLoadPlot, percentilePlots, throughputPlots } from './report-plots.ts';
import { esc } from './report-svg.ts';
import type { BenchReport } from './report-types.ts';

/** One self-contained page: inline CSS and SVG, nothing fetched, no script. */
export function reportToHtml(report: BenchReport): string {
  const load = machineLoadLine(report);
  const body: string[] = [`<h1>weir benchmark</h1>`, `<p>${esc(configLine(report))}</p>`, `<p>${esc(environmentLine(report))}</p>`];
  if (load) body.push(`<p>${esc(load)}</p>`);
  for (const w of report.environment.load?.warnings ?? []) body.push(`<p class="warning">The machine was busy: ${esc(w)}.</p>`);
  body.push('<h2>Latency against offered load</h2>', latencyVsLoadPlot(report));
  body.push('<h2>CPU cost against offered load</h2>', cpuVsLoadPlot(report));
  body.push('<h2>Latency by percentile, per offered rate</h2>', `<div class="multiples">${percentilePlots(report).join('')}</div>`);
  body.push('<h2>Input throughput over time, per offered rate</h2>', `<div class="multiples">${throughputPlots(report).join('')}</div>`);
  for (const mode of report.config.modes) body.push(`<h2>${esc(mode)}${report.config.repeat > 1 ? ` — medians of ${report.config.repeat} trials` : ''}</h2>`, htmlTable(pointsTable(report, mode)));
  body.push(`<ul class="small">${[...columnNotes, keptUpDefinition(report)].map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
  if (report.config.repeat > 1) body.push('<h2>Spread across trials</h2>', htmlTable(spreadTable(report)));
  body.push('<h2>Maximum sustainable throughput</h2>', `<ul>${maxSustainableLines(report).map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`);
  const rate = highestCommonRate(report);
  if (rate !== undefined) body.push(`<h2>Where the time goes at ${rate.toLocaleString('en')} events/s</h2>`, htmlTable(stagesTable(report, rate)));
  const ratios = ratioTable(report);
  if (ratios.length > 1) body.push('<h2>Continuous against micro-batch</h2>', htmlTable(ratios));
  if (report.notes.length) body.push('<h2>Notes</h2>', `<ul>${report.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
  body.push('<h2>Output checksums</h2>', `<p><code>${esc([...new Set(report.runs.map((r) => r.outputChecksum))].join(', '))}</code></p>`, `<p>${esc(checksumFormat)}</p>`);
  body.push('<h2>Configuration and environment</h2>', `<pre>${esc(JSON.stringify({ config: report.config, environment: report.environment, createdAt: report.createdAt }, null, 2))}</pre>`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>weir benchmark</title><style>${css}</style></head><body>${body.join('\n')}</body></html>\n`;
}

const css = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#222}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
svg.plot{display:block;margin:8px 0 20px;font-size:12px;height:auto}svg .g{stroke:#e8e8e8}svg .frame{fill:none;stroke:#888}svg .t{font-weight:600}
svg .ref{stroke-width:1.5;stroke-dasharray:4 3}svg .ref.bound{stroke:#444}svg .ref.offered{stroke:#2ca02c}svg .span{fill:#f0f0f0}svg .span-label{fill:#777}svg .whisker{fill:none;stroke-width:1.5}
.multiples{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:8px 24px}
.warning{background:#fff3cd;border:1px solid #e0c060;padding:6px 10px}.small{font-size:12px;color:#555}
pre{background:#f6f6f6;padding:8px;overflow:auto}`;

function htmlTable(rows: Table): string {
  const [head, ...body] = rows;
  return `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${body.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>`;
}
