// The Nexmark suite against one plain thread (COST): for each query, weir in both execution modes
// and the query's single-thread program (native-bench/nexmark/), on the same events, in one run.
//
//   npm run bench:nexmark -- --queries q0,q5 --events 1000000 --parallelism 2 \
//     --state-backend heap|lmdb --source generator|jsonl|log [--disorder-ms 3000] [--seed 1] [--json out.json]
//
// The input is made once: for jsonl and log it is written into a temp dir first (not timed), and
// both sides read it from there — weir through jsonLinesSource / logSource, the plain program by
// reading the files and JSON.parse-ing every line. weir's rows go to a discard sink (the suite's
// blackhole), the plain program's to a counter — but q10's, whose work is writing files, go to its
// partitioned files on both sides (weir's in the run's work dir, removed after each run); the row
// counts are compared, and a run whose
// counts differ (other than q12's, q15–q19's: rowCountDependsOnArrival) is an error.
//
// Figures: processing time is JobResult.durationMs (from the start gate, every worker ready);
// start-up is the rest of the whole run() call (loading the job, starting threads, tearing down).
// events/s = events ÷ processing time; per core = ÷ parallelism (1 for the plain thread); the COST
// ratio = weir's events/s ÷ the plain thread's. Flink's published events/s per core (the Nexmark
// project's README, 8-core nodes) stands beside them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionMode, StateBackendKind } from '../src/api/job.ts';
import { logSource } from '../src/connectors/embedded-log/source.ts';
import { nexmarkEvents } from '../src/connectors/nexmark/source.ts';
import type { NexmarkEvent } from '../src/connectors/nexmark/model.ts';
import { writeNexmarkJsonLines, writeNexmarkLog } from '../src/connectors/nexmark/write.ts';
import { END, type SourceReader } from '../src/connectors/types.ts';
import { run } from '../src/runtime/index.ts';
import { baselines } from './nexmark/index.ts';

export type NexmarkSourceKind = 'generator' | 'jsonl' | 'log';

export interface NexmarkBenchOptions {
  queries: string[];
  events: number;
  parallelism: number;
  stateBackend: StateBackendKind;
  source: NexmarkSourceKind;
  modes?: ExecutionMode[];
  seed?: number;
  disorderMs?: number;
  watermarkMs?: number;
}

export interface NexmarkBenchRow {
  query: string;
  /** 'continuous' or 'micro-batch' for weir, 'single thread' for the plain program. */
  runner: ExecutionMode | 'single thread';
  cores: number;
  events: number;
  rows: number;
  processingSeconds: number;
  startupSeconds: number;
  eventsPerSec: number;
  eventsPerSecPerCore: number;
  /** weir's events/s ÷ the plain thread's (1 for the plain thread itself). */
  costRatio: number;
  /** Flink's published events/s per core for the query, when there is one. */
  flinkEventsPerSecPerCore: number | undefined;
}

/** The Nexmark project's README figures (events/s per core, 8-core nodes). */
export const flinkEventsPerSecPerCore: Record<string, number> = {
  q0: 155_000,
  q1: 158_000,
  q2: 175_000,
  q3: 152_000,
  q4: 34_000,
  q5: 22_000,
  q7: 12_000,
  q8: 146_000,
  q11: 40_000,
  q12: 76_000,
};

export const nexmarkQueries = Object.keys(baselines);

/**
 * Queries whose number of rows depends on when or in what order records arrive, not only on the
 * input: q12's windows follow the wall clock; q15–q17 emit a group's row once per batch of its
 * bids (weir's batches end on time, and a worker's combine folds what arrived; the plain programs
 * emit one per bid); q18 and q19 emit rows when a bid replaces a key's last or enters an
 * auction's ten, which depends on the bids that came before it.
 */
const rowCountDependsOnArrival = new Set(['q12', 'q15', 'q16', 'q17', 'q18', 'q19']);

const nowMs = () => performance.now();

/** The sink a query's weir run writes to: q10's own files (writing them is the query), else the blackhole. */
const sinkOf = (query: string) => (query === 'q10' ? 'file' : 'discard');

/** Rows a run wrote: the discard sink's count per worker, or the lines a file sink committed. */
function rowsWritten(result: unknown): number {
  return (result as Array<number | { committedLines: number }>).reduce<number>((n, r) => n + (typeof r === 'number' ? r : r.committedLines), 0);
}

interface PreparedInput {
  params: Record<string, string>;
  /** The events in generation order, as the plain program reads them (reading is part of its time). */
  read(): Iterable<NexmarkEvent>;
  remove(): void;
}

function prepareInput(o: Required<NexmarkBenchOptions>): PreparedInput {
  const gen = { count: o.events, seed: o.seed, outOfOrderMaxMs: o.disorderMs };
  const common = { watermarkMs: String(o.watermarkMs) };
  if (o.source === 'generator') {
    return {
      params: { ...common, source: 'generator', events: String(o.events), partitions: String(o.parallelism), seed: String(o.seed), disorderMs: String(o.disorderMs) },
      read: () => nexmarkEvents(gen),
      remove() {},
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'weir-nexmark-bench-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  if (o.source === 'jsonl') {
    const files = writeNexmarkJsonLines(dir, { ...gen, partitions: o.parallelism });
    return { params: { ...common, source: 'jsonl', files: files.join(',') }, read: () => readJsonLinesInOrder(files), remove };
  }
  const logDir = join(dir, 'log');
  writeNexmarkLog(logDir, { ...gen, partitions: o.parallelism });
  return { params: { ...common, source: 'log', logDir }, read: () => readLogInOrder(logDir, o.parallelism), remove };
}

/** Line k of file p is event p + k × files: reading the files round-robin restores generation order. */
function* readJsonLinesInOrder(files: string[]): Generator<NexmarkEvent> {
  const lines = files.map((f) => readFileSync(f, 'utf8').split('\n'));
  for (let k = 0; ; k++) {
    for (const fileLines of lines) {
      const line = fileLines[k];
      if (line === undefined || line === '') return;
      yield JSON.parse(line) as NexmarkEvent;
    }
  }
}

function* readLogInOrder(dir: string, partitions: number): Generator<NexmarkEvent> {
  const spec = logSource<NexmarkEvent>({ dir });
  const perPartition: NexmarkEvent[][] = [];
  for (let p = 0; p < partitions; p++) {
    const values: NexmarkEvent[] = [];
    const reader = spec.open(p, { partition: p, parallelism: partitions, workDir: dir, startMs: 0, nowMs }) as SourceReader<NexmarkEvent>;
    const out = { emit: (value: NexmarkEvent) => void values.push(value), deadLetter: (_raw: string, reason: string) => { throw new Error(reason); } };
    while (reader.poll(8192, out) !== END);
    reader.close();
    perPartition.push(values);
  }
  for (let k = 0; ; k++) {
    for (const values of perPartition) {
      if (k >= values.length) return;
      yield values[k];
    }
  }
}

function figures(query: string, runner: NexmarkBenchRow['runner'], cores: number, events: number, rows: number, processingMs: number, wholeMs: number): NexmarkBenchRow {
  const processingSeconds = processingMs / 1000;
  const eventsPerSec = events / processingSeconds;
  return {
    query,
    runner,
    cores,
    events,
    rows,
    processingSeconds,
    startupSeconds: Math.max(0, wholeMs - processingMs) / 1000,
    eventsPerSec,
    eventsPerSecPerCore: eventsPerSec / cores,
    costRatio: 1,
    flinkEventsPerSecPerCore: flinkEventsPerSecPerCore[query],
  };
}

export async function nexmarkBench(options: NexmarkBenchOptions): Promise<NexmarkBenchRow[]> {
  const o: Required<NexmarkBenchOptions> = { modes: ['continuous', 'micro-batch'], seed: 1, disorderMs: 3000, watermarkMs: 4000, ...options };
  for (const q of o.queries) if (!baselines[q]) throw new Error(`unknown query ${q}; known: ${nexmarkQueries.join(', ')}`);
  const input = prepareInput(o);
  const table: NexmarkBenchRow[] = [];
  try {
    for (const query of o.queries) {
      let baselineRows = 0;
      const startMs = nowMs();
      baselines[query](input.read(), () => void baselineRows++, { watermarkMs: o.watermarkMs });
      const baselineMs = nowMs() - startMs;
      const thread = figures(query, 'single thread', 1, o.events, baselineRows, baselineMs, baselineMs);
      for (const mode of o.modes) {
        const job = new URL(`../src/nexmark/queries/${query}.ts`, import.meta.url);
        const workDir = mkdtempSync(join(tmpdir(), 'weir-nexmark-run-'));
        const runStartMs = nowMs();
        let result;
        let wholeMs;
        try {
          result = await (await run(job, { mode, parallelism: o.parallelism, stateBackend: o.stateBackend, workDir, params: { ...input.params, sink: sinkOf(query) } })).done;
          wholeMs = nowMs() - runStartMs;
        } finally {
          rmSync(workDir, { recursive: true, force: true });
        }
        const rows = rowsWritten(result.results[query]);
        if (rows !== baselineRows && !rowCountDependsOnArrival.has(query)) throw new Error(`${query} (${mode}): weir wrote ${rows} rows, the single thread ${baselineRows}`);
        const row = figures(query, mode, o.parallelism, o.events, rows, result.durationMs, wholeMs);
        row.costRatio = row.eventsPerSec / thread.eventsPerSec;
        table.push(row);
      }
      table.push(thread);
    }
  } finally {
    input.remove();
  }
  return table;
}

const thousands = (n: number) => (n >= 10_000 ? `${Math.round(n / 1000).toLocaleString('en')} K` : Math.round(n).toLocaleString('en'));

export function formatNexmarkTable(rows: NexmarkBenchRow[]): string {
  const lines = [
    '| query | runner | cores | rows | processing s | start-up s | events/s | events/s per core | COST ratio | Flink events/s per core |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const flink = r.flinkEventsPerSecPerCore === undefined ? '—' : thousands(r.flinkEventsPerSecPerCore);
    lines.push(
      `| ${r.query} | ${r.runner} | ${r.cores} | ${r.rows.toLocaleString('en')} | ${r.processingSeconds.toFixed(2)} | ${r.startupSeconds.toFixed(2)} | ${thousands(r.eventsPerSec)} | ${thousands(r.eventsPerSecPerCore)} | ${r.runner === 'single thread' ? '1' : r.costRatio.toFixed(2)} | ${flink} |`,
    );
  }
  return lines.join('\n');
}

/** `--name value` flags of the command line. */
export function parseNexmarkArgs(argv: string[]): NexmarkBenchOptions & { json: string | undefined } {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (!flag.startsWith('--') || i + 1 >= argv.length) throw new Error(`expected --name value, got ${flag}`);
    flags.set(flag.slice(2), argv[++i]);
  }
  const known = ['queries', 'events', 'parallelism', 'state-backend', 'source', 'modes', 'seed', 'disorder-ms', 'watermark-ms', 'json'];
  for (const name of flags.keys()) if (!known.includes(name)) throw new Error(`unknown flag --${name}; known: ${known.map((k) => `--${k}`).join(' ')}`);
  const number = (name: string, fallback: number) => {
    const value = Number(flags.get(name) ?? fallback);
    if (!Number.isFinite(value)) throw new Error(`--${name} must be a number`);
    return value;
  };
  const backend = flags.get('state-backend') ?? 'heap';
  if (backend !== 'heap' && backend !== 'lmdb') throw new Error('--state-backend must be heap or lmdb');
  const source = flags.get('source') ?? 'generator';
  if (source !== 'generator' && source !== 'jsonl' && source !== 'log') throw new Error('--source must be generator, jsonl or log');
  const modes = (flags.get('modes') ?? 'continuous,micro-batch').split(',') as ExecutionMode[];
  if (modes.some((m) => m !== 'continuous' && m !== 'micro-batch')) throw new Error('--modes: continuous and/or micro-batch');
  return {
    queries: (flags.get('queries') ?? nexmarkQueries.join(',')).split(','),
    events: number('events', 1_000_000),
    parallelism: number('parallelism', 2),
    stateBackend: backend,
    source,
    modes,
    seed: number('seed', 1),
    disorderMs: number('disorder-ms', 3000),
    watermarkMs: number('watermark-ms', 4000),
    json: flags.get('json'),
  };
}

export async function main(argv: string[]): Promise<{ rows: NexmarkBenchRow[]; markdown: string }> {
  const { json, ...options } = parseNexmarkArgs(argv);
  const rows = await nexmarkBench(options);
  const markdown = formatNexmarkTable(rows);
  if (json !== undefined) writeFileSync(json, JSON.stringify({ options, rows }, null, 2) + '\n');
  return { rows, markdown };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    ({ markdown }) => console.log(markdown),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
