import { WeirError } from '../errors.ts';
import { compareReports, comparisonToText } from '../harness/report-compare.ts';
import { readReport } from '../harness/report-io.ts';

export const reportUsage = `weir report compare <a.json> <b.json>   ratios per figure (b / a), flagging differences beyond the runs' noise`;

export async function reportCommand(argv: string[]): Promise<number> {
  const [sub, a, b] = argv;
  if (sub !== 'compare' || !a || !b) throw new WeirError('WEIR_CONFIG', `usage: ${reportUsage}`);
  console.log(comparisonToText(compareReports(readReport(a), readReport(b))));
  return 0;
}
