import { compareReports, comparisonToText } from '../harness/report-compare.ts';
import { readReport } from '../harness/report-io.ts';
import { existingFile } from './args.ts';
import { commandHelp, parseCommand, UsageError } from './flags.ts';

export const reportCompareSpec = {
  name: 'report compare',
  summary: 'medians per figure and their ratio (b / a), judged against the noise between trials (--repeat)',
  positionals: [
    { name: 'a.json', check: existingFile('report') },
    { name: 'b.json', check: existingFile('report') },
  ],
  flags: {},
  notes: 'Exit codes: 0 compared; 1 a file is not a weir benchmark report; 2 a usage error.',
};

export const reportUsage = commandHelp(reportCompareSpec);

export async function reportCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    if (sub === undefined) throw new UsageError('report needs a subcommand: compare');
    console.log(reportUsage);
    return 0;
  }
  if (sub !== 'compare') throw new UsageError(`report has one subcommand, compare, not "${sub}"`);
  const { help, positionals } = parseCommand(reportCompareSpec, rest);
  if (help) {
    console.log(reportUsage);
    return 0;
  }
  const [a, b] = positionals;
  console.log(comparisonToText(compareReports(readReport(a), readReport(b))));
  return 0;
}
