import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WeirError } from '../errors.ts';
import { writeHgrmFiles } from './hgrm-export.ts';
import { reportToHtml } from './report-html.ts';
import { reportToMarkdown } from './report-markdown.ts';
import { reportSchema, type BenchReport } from './report-types.ts';

/** Writes report.json, report.md, report.html and each run's hgrm/<mode>-<rate>-trial<k>.hgrm into dir (created). */
export function writeReport(dir: string, report: BenchReport): { json: string; markdown: string; html: string; hgrm: string[] } {
  mkdirSync(dir, { recursive: true });
  const hgrm = writeHgrmFiles(dir, report).map((f) => join(dir, f));
  const files = { json: join(dir, 'report.json'), markdown: join(dir, 'report.md'), html: join(dir, 'report.html'), hgrm };
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
  const schema = (parsed as { schema?: unknown })?.schema;
  if (typeof schema === 'string' && schema.startsWith('weir-bench/') && schema !== reportSchema) {
    throw new WeirError('WEIR_CONFIG', `${path} is a weir benchmark report of an older format (${schema}; this weir reads ${reportSchema}, which has trials and CPU cost): run the bench again`);
  }
  if (schema !== reportSchema) {
    throw new WeirError('WEIR_CONFIG', `${path} is not a weir benchmark report (schema ${JSON.stringify((parsed as BenchReport)?.schema)}, expected ${reportSchema})`);
  }
  return parsed as BenchReport;
}
