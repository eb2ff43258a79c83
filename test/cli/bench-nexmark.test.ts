// `weir bench nexmark` as a user runs it: a child process in a directory of its own, writing the
// suite's JSON and Markdown there (no speed asserted).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatNexmarkTable, type NexmarkBenchRow } from '../../native-bench/nexmark.ts';
import { tempDirsPerTest } from '../helpers.ts';
import { runCli } from './cli-process.ts';

const tempDir = tempDirsPerTest('weir-bench-nexmark-');

describe('weir bench nexmark', () => {
  it('runs the queries and their single-thread programs on the same events and writes nexmark.json and nexmark.md', async () => {
    const cwd = tempDir();
    const out = await runCli(['bench', 'nexmark', '--queries', 'q0,q7', '--events', '4000', '--source', 'jsonl', '--modes', 'continuous', '--out', 'figures'], { cwd, killAfterMs: 120_000 });
    expect(out.stderr).toContain('report written to figures/nexmark.json');
    expect(out.code).toBe(0);
    const report = JSON.parse(readFileSync(join(cwd, 'figures', 'nexmark.json'), 'utf8')) as { options: { source: string; events: number }; rows: NexmarkBenchRow[] };
    expect(report.options).toMatchObject({ source: 'jsonl', events: 4000, parallelism: 2, stateBackend: 'heap' });
    expect(report.rows.map((r) => `${r.query} ${r.runner}`)).toEqual(['q0 continuous', 'q0 single thread', 'q7 continuous', 'q7 single thread']);
    for (const r of report.rows) expect(r.costRatio).toBeGreaterThan(0);
    expect(report.rows[0].rows).toBe(report.rows[1].rows);
    expect(report.rows[2].rows).toBe(report.rows[3].rows);
    expect(readFileSync(join(cwd, 'figures', 'nexmark.md'), 'utf8')).toBe(`${formatNexmarkTable(report.rows)}\n`);
  });

  it('an unknown query is a usage error, and nothing is run', async () => {
    const cwd = tempDir();
    const out = await runCli(['bench', 'nexmark', '--queries', 'q0,q23'], { cwd });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/--queries: unknown q23; known: q0, q1/);
    expect(existsSync(join(cwd, 'weir-report-nexmark'))).toBe(false);
  });
});
