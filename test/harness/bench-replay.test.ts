import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../../src/connectors/embedded-log/log.ts';
import { logSource } from '../../src/connectors/embedded-log/source.ts';
import { jsonLinesSource } from '../../src/connectors/jsonl-file.ts';
import { END, type SourceContext } from '../../src/connectors/types.ts';
import { runBench } from '../../src/harness/bench.ts';
import { replaySource } from '../../src/harness/replay-source.ts';
import { nowMs } from '../../src/util/clock.ts';
import type { BenchReport } from '../../src/harness/report-types.ts';
import { runCli } from '../cli/cli-process.ts';
import { expectWeirError, tempDirsPerTest } from '../helpers.ts';

const orders = new URL('../../examples/orders.ts', import.meta.url);
const recording = ['orders-1.jsonl', 'orders-2.jsonl'].map((f) => fileURLToPath(new URL(`../../examples/data/${f}`, import.meta.url)));
const newDir = tempDirsPerTest('weir-replay-');

function context(dir: string, startMs: number): SourceContext {
  return { partition: 0, parallelism: 1, workDir: dir, startMs, nowMs };
}

describe('open-loop replay of a recorded input', () => {
  it('stamps record i with its scheduled time start + i / rate, and replays a short recording from its start', async () => {
    const dir = newDir();
    const file = join(dir, 'five.jsonl');
    writeFileSync(file, [1, 2, 3, 4, 5].map((id) => JSON.stringify({ id })).join('\n') + '\n');
    // 100 records/s for 0.2 s: 20 records, the five-line file four times; all of them due long ago.
    const startMs = nowMs() - 10_000;
    const spec = replaySource(jsonLinesSource<{ id: number }>({ path: file }), () => ({ ratePerPartitionPerSec: 100, seconds: 0.2 }));
    const reader = await spec.open(0, context(dir, startMs));
    const got: Array<{ id: number; createdMs: number }> = [];
    const out = { emit: (v: { id: number }, _o: number, _t: number, createdMs: number) => got.push({ id: v.id, createdMs }), deadLetter: () => {} };
    for (let polls = 0; polls < 100; polls++) if ((await reader.poll(7, out)) === END) break;
    await reader.close();
    expect(got.map((g) => g.id)).toEqual([1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2, 3, 4, 5]);
    expect(got.map((g) => g.createdMs)).toEqual(got.map((_, i) => startMs + i * 10));
  });

  it('replays an embedded log the same way, offsets and all', async () => {
    const dir = newDir();
    const log = EmbeddedLog.create(join(dir, 'log'), 1);
    for (let id = 1; id <= 3; id++) log.appendJson(0, { id });
    log.close();
    const startMs = nowMs() - 10_000;
    const spec = replaySource(logSource<{ id: number }>({ dir: join(dir, 'log') }), () => ({ ratePerPartitionPerSec: 50, seconds: 0.1 }));
    const reader = await spec.open(0, context(dir, startMs));
    const got: Array<[number, number, number]> = [];
    const out = { emit: (v: { id: number }, offset: number, _t: number, createdMs: number) => got.push([v.id, offset, createdMs]), deadLetter: () => {} };
    for (let polls = 0; polls < 100; polls++) if ((await reader.poll(100, out)) === END) break;
    await reader.close();
    // 50/s for 0.1 s: 5 records, the 3-record log and then its first 2 again, 20 ms apart.
    expect(got).toEqual([1, 2, 3, 1, 2].map((id, i) => [id, id - 1, startMs + i * 20]));
  });

  it('emits nothing before a record is due, and says how long until it is', async () => {
    const dir = newDir();
    const file = join(dir, 'one.jsonl');
    writeFileSync(file, '{"id":1}\n');
    const spec = replaySource(jsonLinesSource({ path: file }), () => ({ ratePerPartitionPerSec: 1, seconds: 10 }));
    const reader = await spec.open(0, context(dir, nowMs() + 60_000));
    expect(await reader.poll(100, { emit: () => expect.unreachable(), deadLetter: () => {} })).toBe(0);
    expect(reader.idleMs!()).toBeGreaterThan(50_000);
    await reader.close();
  });

  it('weir bench --replay measures a job on its own JSON-lines files in both modes, with the same output', async () => {
    const rate = 2_000;
    const report = await runBench({ job: orders, replay: true, modes: ['continuous', 'micro-batch'], ratesPerSec: [rate], warmupS: 0.2, durationS: 0.6, microBatchIntervalMs: 50, seed: 1, p99BoundMs: 250, params: {} });
    expect(report.config.load).toBe('replay');
    // 2 000 events/s for 0.8 s over the two files: the first 800 lines of each are read, each once.
    const paid = recording.map((f) => readFileSync(f, 'utf8').trim().split('\n').slice(0, 800).filter((l) => JSON.parse(l).status === 'paid').length);
    for (const run of report.runs) {
      expect(run.inputRecords).toBe(rate * 0.6);
      expect(run.records).toBeGreaterThan(0);
      expect(run.outputChecksum).toMatch(new RegExp(`-${paid[0] + paid[1]}$`));
    }
    expect(report.runs[0].outputChecksum).toBe(report.runs[1].outputChecksum);
  });

  it('a partition with nothing to replay (an empty rules file) neither shortens the schedule nor the warm-up of the others', async () => {
    const dir = newDir();
    const rules = join(dir, 'rules.jsonl');
    writeFileSync(rules, '');
    const rate = 2_000;
    const job = new URL('../jobs/replay-with-empty-rules.ts', import.meta.url);
    const report = await runBench({ job, replay: true, modes: ['continuous'], ratesPerSec: [rate], warmupS: 0.2, durationS: 0.6, microBatchIntervalMs: 50, seed: 1, p99BoundMs: 250, params: { orders: recording[0], rules } });
    // The orders partition offers half the rate (the other half is the empty file's) for 0.8 s:
    // 800 records, of which the 0.2 s warm-up took 200.
    const [run] = report.runs;
    expect(run.inputRecords).toBe((rate / 2) * 0.6);
    expect(run.measuredS).toBeGreaterThanOrEqual(0.6);
  });

  it('the CLI: weir bench --replay --repeat 2 writes the report and a .hgrm file per trial', async () => {
    const cwd = newDir();
    const out = await runCli(['bench', fileURLToPath(orders), '--replay', '--repeat', '2', '--modes', 'continuous', '--rates', '1k', '--warmup', '0.2', '--duration', '0.4', '--out', 'report'], { cwd });
    expect(out.code, out.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(cwd, 'report', 'report.json'), 'utf8')) as BenchReport;
    expect(report.config).toMatchObject({ load: 'replay', repeat: 2 });
    expect(report.runs.map((r) => r.trial)).toEqual([1, 2]);
    expect(readdirSync(join(cwd, 'report', 'hgrm')).sort()).toEqual(['continuous-1000-trial1.hgrm', 'continuous-1000-trial2.hgrm']);
    expect(out.stderr).toContain('2 HdrHistogram file(s)');
  });

  it('without --replay, a job on its own data measures nothing and the error says to replay it', async () => {
    const err = await expectWeirError(runBench({ job: orders, modes: ['continuous'], ratesPerSec: [1_000], warmupS: 0.2, durationS: 0.3, microBatchIntervalMs: 50, seed: 1, p99BoundMs: 250, params: {} }), 'WEIR_CONFIG');
    expect(err.message).toMatch(/measured no record/);
    expect(err.message).toContain('--replay');
  });
});
