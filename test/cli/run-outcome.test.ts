import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.ts';
import { runCli } from './cli-process.ts';

const failingJob = fileURLToPath(new URL('../jobs/failing.ts', import.meta.url));
const countsJob = fileURLToPath(new URL('../jobs/cli-counts.ts', import.meta.url));
const resultsJob = fileURLToPath(new URL('../jobs/results.ts', import.meta.url));

interface RunJson {
  restoredFrom: { id: number | null; dir: string | null; skipped: unknown[] } | null;
  metrics: { checkpoints?: { lastCompletedId: number } };
  collected: Array<{ sink: string; records: number; path: string }>;
  error?: { code: string; message: string; operator?: string; partition?: number; offset?: number; stack?: string };
}

describe('weir run says what happened', () => {
  let dir: ReturnType<typeof tempDir>;
  const cli = (args: string[]) => runCli(args, { cwd: dir.path, env: { TMPDIR: dir.path } });
  beforeEach(() => {
    dir = tempDir('weir-outcome-');
  });
  afterEach(() => dir.remove());

  it("reads a results sink as the job runs (the job would wait for a consumer) and saves its records like a collect sink's", async () => {
    const out = await cli(['run', resultsJob, '--param', 'count=3000', '--param', 'batchRecords=10', '--param', 'batchesInFlight=1', '--json', '--work-dir', 'w']);
    expect(out.code).toBe(0);
    const json = JSON.parse(out.stdout) as RunJson;
    const saved = json.collected.find((c) => c.sink === 'out')!;
    expect(saved).toMatchObject({ records: 3000, path: join(dir.path, 'w', 'collected', 'out.jsonl') });
    const lines = readFileSync(saved.path, 'utf8').trimEnd().split('\n').sort();
    const all = readFileSync(json.collected.find((c) => c.sink === 'all')!.path, 'utf8').trimEnd().split('\n').sort();
    expect(lines).toEqual(all);
  });

  it("a user function's error shows the job file's own stack frame", async () => {
    const out = await cli(['run', failingJob, '--param', 'what=throw', '--quiet']);
    expect(out.code).toBe(1);
    const lines = out.stderr.trimEnd().split('\n');
    // both partitions have a record 1234: whichever comes first
    expect(lines[0]).toMatch(/^weir: WEIR_USER_FUNCTION: operator "check" threw on the record from source partition [01] at offset 1234: bad record 1234$/);
    expect(lines[1]).toBe('  TypeError: bad record 1234');
    expect(lines.slice(2).join('\n')).toMatch(/^\s+at .*test\/jobs\/failing\.ts:9:\d+\)$/m);
    // only the user's frames: none of weir's runtime
    expect(out.stderr).not.toContain('/src/runtime/');
  });

  it('--json prints the failure as an error object and exits 1', async () => {
    const out = await cli(['run', failingJob, '--param', 'what=throw', '--json']);
    expect(out.code).toBe(1);
    const json = JSON.parse(out.stdout) as RunJson;
    expect(json.error).toMatchObject({ code: 'WEIR_USER_FUNCTION', operator: 'check', offset: 1234 });
    expect([0, 1]).toContain(json.error?.partition); // both partitions have a record 1234: whichever comes first
    expect(json.error?.message).toContain('bad record 1234');
    expect(json.error?.stack).toMatch(/test\/jobs\/failing\.ts:9:/);
    expect(json.restoredFrom).toBeNull();
  });

  it('a checkpointing run says it started empty, the next one from which checkpoint it resumed', async () => {
    const args = ['run', countsJob, '--param', 'count=300', '--param', 'rate=0', '--checkpoint-interval', '50', '--work-dir', 'w'];
    const first = await cli([...args, '--json']);
    expect(first.code).toBe(0);
    const firstJson = JSON.parse(first.stdout) as RunJson;
    expect(firstJson.restoredFrom).toEqual({ id: null, dir: null, skipped: [] });
    const lastId = firstJson.metrics.checkpoints!.lastCompletedId;
    expect(lastId).toBeGreaterThan(0);

    const second = await cli([...args, '--json']);
    expect(second.code).toBe(0);
    const secondJson = JSON.parse(second.stdout) as RunJson;
    expect(secondJson.restoredFrom).toMatchObject({ id: lastId, skipped: [] });
    expect(secondJson.restoredFrom?.dir).toContain(join(dir.path, 'w', 'checkpoints'));

    const third = await cli(args);
    expect(third.code).toBe(0);
    expect(third.stderr).toMatch(/^weir: started empty|^weir: resumed from checkpoint \d+ in /m);
    expect(third.stderr).toMatch(new RegExp(`^  resumed from checkpoint \\d+ in ${join(dir.path, 'w', 'checkpoints')}`, 'm'));

    const fresh = await cli([...args, '--from', 'none', '--quiet']);
    expect(fresh.stderr).toMatch(/^ {2}started empty \(--from none\)$/m);
  });

  it("collect() results are saved in the work dir and the CLI says where", async () => {
    const json = await cli(['run', countsJob, '--param', 'count=250', '--param', 'rate=0', '--json', '--work-dir', 'w']);
    expect(json.code).toBe(0);
    const { collected } = JSON.parse(json.stdout) as RunJson;
    expect(collected).toEqual([{ sink: 'counts', records: 250, path: join(dir.path, 'w', 'collected', 'counts.jsonl') }]);
    const records = readFileSync(collected[0].path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { key: number; n: number });
    expect(records).toHaveLength(250);
    // every key's counts run 1, 2, 3, … : all 250 records are there
    const maxByKey = new Map<number, number>();
    for (const r of records) maxByKey.set(r.key, Math.max(maxByKey.get(r.key) ?? 0, r.n));
    expect([...maxByKey.values()].reduce((a, b) => a + b, 0)).toBe(250);

    const text = await cli(['run', countsJob, '--param', 'count=40', '--param', 'rate=0', '--quiet', '--work-dir', 'w2']);
    expect(text.stderr).toContain(`collect sink "counts": 40 record(s) saved to ${join(dir.path, 'w2', 'collected', 'counts.jsonl')}`);
  });

  it('--duration counts from readiness; start-up and run time are reported apart', async () => {
    const out = await cli(['run', countsJob, '--param', 'rate=1000', '--duration', '1', '--json']);
    expect(out.code).toBe(0);
    const json = JSON.parse(out.stdout) as RunJson & { startupMs: number; runMs: number; metrics: { state: string; sources: Array<{ records: number }> } };
    expect(json.metrics.state).toBe('finished');
    expect(json.startupMs).toBeGreaterThan(0);
    // stopped one second after every worker was ready, whatever the start-up took: it ran, and read
    expect(json.runMs).toBeGreaterThanOrEqual(1000);
    expect(json.metrics.sources.reduce((a, s) => a + s.records, 0)).toBeGreaterThan(0);

    const text = await cli(['run', countsJob, '--param', 'count=50', '--quiet']);
    expect(text.stderr).toMatch(/^weir: finished — ran \d+\.\d+ s after a start-up of \d+\.\d+ s \(work dir /m);
  });
});
