import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBench } from '../../src/harness/bench.ts';
import { expectWeirError, tempDir } from '../helpers.ts';
import { runCli } from '../cli/cli-process.ts';

const ignoresRate = new URL('../jobs/bench-ignores-rate.ts', import.meta.url);
const clicks = new URL('../../examples/clicks.ts', import.meta.url);
const base = { warmupS: 1, durationS: 0.5, microBatchIntervalMs: 50, seed: 1, p99BoundMs: 250, params: {} };

describe('weir bench never reports success for nothing', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('weir-bench-nothing-');
  });
  afterEach(() => dir.remove());

  it('a job that ignores the rate parameter fails the bench, naming the run', async () => {
    const err = await expectWeirError(runBench({ ...base, job: ignoresRate, modes: ['continuous', 'micro-batch'], ratesPerSec: [1_000] }), 'WEIR_CONFIG');
    expect(err.message).toMatch(/the continuous run at 1,000 events\/s measured no record: its sources read 2,000 records, all created within the 1 s warm-up/);
    expect(err.message).toContain('rate (events/s), seconds and seed');
  });

  it('the CLI exits 1 with that message and writes no report', async () => {
    const out = await runCli(['bench', fileURLToPath(ignoresRate), '--modes', 'micro-batch', '--rates', '1k', '--warmup', '1', '--duration', '0.5', '--out', 'report'], { cwd: dir.path });
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^weir: WEIR_CONFIG: bench: the micro-batch run at 1,000 events\/s measured no record/m);
    expect(out.stdout).toBe('');
    expect(existsSync(join(dir.path, 'report'))).toBe(false);
  });

  it('with one mode, the report does not claim the modes agree', async () => {
    const report = await runBench({ ...base, warmupS: 0.2, job: clicks, modes: ['continuous'], ratesPerSec: [2_000] });
    expect(report.runs).toHaveLength(1);
    expect(report.runs[0].records).toBeGreaterThan(0);
    expect(report.notes).toContain('Output not compared: only one mode ran at each rate.');
    expect(report.notes.join('\n')).not.toContain('Both modes');
  });
});
