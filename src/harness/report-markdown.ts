import { checksumFormat } from './bench-notes.ts';
import { columnNotes, configLine, environmentLine, highestCommonRate, keptUpDefinition, machineLoadLine, maxSustainableLines, pointsTable, ratioTable, spreadTable, stagesTable, type Table } from './report-format.ts';
import type { BenchReport } from './report-types.ts';

/** A summary for a README or a pull request. */
export function reportToMarkdown(report: BenchReport): string {
  const load = machineLoadLine(report);
  const out: string[] = ['# weir benchmark', '', `- ${configLine(report)}`, `- ${environmentLine(report)}`, ...(load ? [`- ${load}`] : []), `- created ${report.createdAt}`, ''];
  for (const mode of report.config.modes) {
    out.push(`## ${mode}${report.config.repeat > 1 ? ` — medians of ${report.config.repeat} trials` : ''}`, '', markdownTable(pointsTable(report, mode)), '');
  }
  out.push(...columnNotes.map((n) => `- ${n}`), `- ${keptUpDefinition(report)}`, '');
  if (report.config.repeat > 1) out.push('## Spread across trials', '', markdownTable(spreadTable(report)), '');
  out.push('## Maximum sustainable throughput', '', ...maxSustainableLines(report).map((l) => `- ${l}`), '');
  const rate = highestCommonRate(report);
  if (rate !== undefined) out.push(`## Where the time goes at ${rate.toLocaleString('en')} events/s`, '', markdownTable(stagesTable(report, rate)), '');
  const ratios = ratioTable(report);
  if (ratios.length > 1) out.push('## Continuous against micro-batch', '', markdownTable(ratios), '');
  if (report.notes.length) out.push('## Notes', '', ...report.notes.map((n) => `- ${n}`), '');
  out.push(`Output checksums: ${[...new Set(report.runs.map((r) => r.outputChecksum))].join(', ')}. ${checksumFormat}`);
  return out.join('\n');
}

function markdownTable(rows: Table): string {
  const [head, ...body] = rows;
  const align = head.map((_, i) => (i === 0 ? '---' : '---:'));
  return [head, align, ...body].map((r) => `| ${r.join(' | ')} |`).join('\n');
}
