import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WeirError } from '../errors.ts';
import { reportToHtml } from './report-html.ts';
import { reportToMarkdown } from './report-markdown.ts';
import { reportSchema, type BenchReport } from './report-types.ts';

/** Writes report.json, report.md and report.html into dir (created). */
export function writeReport(dir: string, report: BenchReport): { json: string; markdown: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const files = { json: join(dir, 'report.json'), markdown: join(dir, 'report.md'), html: join(dir, 'report.html') };
  writeFileSync(files.json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(files.markdown, `${reportToMarkdown(report)}\n`);
  writeFileSync(files.html, reportToHtml(report));
  return files;
}

export function readReport(path: string): BenchReport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new WeirError('WEIR_CONFIG', `cannot read a report from ${path}: ${(cause as Error).message}`, { cause });
  }
  if ((parsed as BenchReport)?.schema !== reportSchema) {
    throw new WeirError('WEIR_CONFIG', `${path} is not a weir benchmark report (schema ${JSON.stringify((parsed as BenchReport)?.schema)}, expected ${reportSchema})`);
  }
  return parsed as BenchReport;
}
