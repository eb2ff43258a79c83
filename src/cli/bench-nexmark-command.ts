// `weir bench nexmark`: the Nexmark suite against one plain thread (COST), the same code as
// `npm run bench:nexmark` (native-bench/nexmark.ts). The suite and its single-thread programs live
// beside the sources, not in the package: an installed weir says so instead of running.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionMode } from '../api/job.ts';
import { choiceFlag, choiceListFlag, commandHelp, numberFlag, parseCommand, switchFlag, textFlag, UsageError } from './flags.ts';

const suiteUrl = new URL('../../native-bench/nexmark.ts', import.meta.url);

/** What the command uses of native-bench/nexmark.ts (not imported by name: it is outside src/, and outside the package). */
interface NexmarkSuite {
  nexmarkQueries: string[];
  nexmarkBench(options: {
    queries: string[];
    events: number;
    parallelism: number;
    stateBackend: 'heap' | 'lmdb';
    source: 'generator' | 'jsonl' | 'log';
    modes: ExecutionMode[];
    seed: number;
    disorderMs: number;
    watermarkMs: number;
  }): Promise<unknown[]>;
  formatNexmarkTable(rows: unknown[]): string;
}

export const benchNexmarkSpec = {
  name: 'bench nexmark',
  summary: 'the Nexmark queries in weir and in one plain thread, on the same events: events/s, COST ratio',
  positionals: [],
  flags: {
    queries: textFlag('q0,q5,…', 'queries to run (default all: q0 q1 q2 q3 q4 q5 q6 q7 q8 q9 q10 q11 q12 q13 q14 q15 q16 q17 q18 q19 q20 q21 q22)'),
    events: numberFlag('N', 'events (default 1000000)', { integer: true, min: 1 }),
    source: choiceFlag(['generator', 'jsonl', 'log'], 'where weir reads the events (default generator); jsonl and log are written first, not timed'),
    parallelism: numberFlag('P', 'worker threads (default 2)', { integer: true, min: 1 }),
    'state-backend': choiceFlag(['heap', 'lmdb'], 'keyed state (default heap)'),
    modes: choiceListFlag(['continuous', 'micro-batch'], 'modes to run (default both)'),
    seed: numberFlag('N', 'generator seed (default 1)', { integer: true, min: 0 }),
    'disorder-ms': numberFlag('MS', 'events up to this far out of order (default 3000)', { min: 0, unit: 'ms' }),
    'watermark-ms': numberFlag('MS', 'watermark bound (default 4000)', { min: 0, unit: 'ms' }),
    out: textFlag('DIR', 'where nexmark.json and nexmark.md go (default weir-report-nexmark)'),
    json: switchFlag('print the rows as JSON on stdout'),
  },
  notes: `The COST ratio is weir's events/s with P workers ÷ the plain single-thread program's, on the same
input in the same run; Flink's published events/s per core stands beside each query.
Exit codes: 0 the report was written; 1 a run failed (or weir and the plain program disagree on
the row count); 2 a usage error.`,
};

export const benchNexmarkUsage = commandHelp(benchNexmarkSpec);

export async function benchNexmarkCommand(argv: string[]): Promise<number> {
  const { help, flags } = parseCommand(benchNexmarkSpec, argv);
  if (help) {
    console.log(benchNexmarkUsage);
    return 0;
  }
  if (!existsSync(fileURLToPath(suiteUrl))) {
    throw new UsageError('weir bench nexmark runs from a checkout of weir (the suite and its single-thread programs are in native-bench/, which the package does not ship)');
  }
  const suite = (await import(suiteUrl.href)) as NexmarkSuite;
  const queries = flags.queries === undefined ? suite.nexmarkQueries : flags.queries.split(',').filter((q) => q !== '');
  const unknown = queries.filter((q) => !suite.nexmarkQueries.includes(q));
  if (unknown.length > 0 || queries.length === 0) throw new UsageError(`--queries: unknown ${unknown.join(', ') || '(none given)'}; known: ${suite.nexmarkQueries.join(', ')}`);
  const options = {
    queries,
    events: flags.events ?? 1_000_000,
    parallelism: flags.parallelism ?? 2,
    stateBackend: flags['state-backend'] ?? 'heap',
    source: flags.source ?? 'generator',
    modes: (flags.modes ?? ['continuous', 'micro-batch']) as ExecutionMode[],
    seed: flags.seed ?? 1,
    disorderMs: flags['disorder-ms'] ?? 3000,
    watermarkMs: flags['watermark-ms'] ?? 4000,
  };
  const rows = await suite.nexmarkBench(options);
  const markdown = suite.formatNexmarkTable(rows);
  const dir = flags.out ?? 'weir-report-nexmark';
  mkdirSync(dir, { recursive: true });
  const files = { json: join(dir, 'nexmark.json'), markdown: join(dir, 'nexmark.md') };
  writeFileSync(files.json, `${JSON.stringify({ options, rows }, null, 2)}\n`);
  writeFileSync(files.markdown, `${markdown}\n`);
  if (flags.json) console.log(JSON.stringify(rows, null, 2));
  else console.error(`${markdown}\n\nweir: report written to ${files.json}, ${files.markdown}`);
  return 0;
}
