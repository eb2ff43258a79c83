import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/runtime/job/run.ts';
import { jobUrl, tempDirsPerTest } from '../helpers.ts';

const example = (name: string) => new URL(`../../examples/${name}.ts`, import.meta.url);

describe('the custom connector examples', () => {
  const dir = tempDirsPerTest('weir-examples-');

  it('examples/custom-source.ts: a partition per file, every line read once, a bad line dead-lettered with its line number', async () => {
    const input = dir();
    writeFileSync(join(input, 'a.txt'), 'apple 3\nbanana 2\nnot a line\napple 4\n');
    writeFileSync(join(input, 'b.txt'), 'apple 1\ncherry 5\n');
    writeFileSync(join(input, 'ignored.csv'), 'apple 100\n');
    const job = await run(example('custom-source'), { params: { dir: input }, workDir: dir() });
    const result = await job.done;
    expect(result.metrics.sources.map((s) => s.partition)).toEqual([0, 1]);
    expect(result.metrics.deadLetters).toBe(1);
    const deadLetter = JSON.parse(readFileSync(join(result.workDir, 'dead-letters-0.jsonl'), 'utf8').trim()) as { offset: number; raw: string };
    expect(deadLetter).toMatchObject({ offset: 2, raw: 'not a line' });
    // reduce emits the running total at every record: the largest is the sum.
    const totals = new Map<string, number>();
    for (const { word, count } of result.results.totals as Array<{ word: string; count: number }>) totals.set(word, Math.max(totals.get(word) ?? 0, count));
    expect(Object.fromEntries(totals)).toEqual({ apple: 8, banana: 2, cherry: 5 });
  });

  it('examples/custom-sink.ts: a two-phase-commit sink; every record committed once, nothing left pending', async () => {
    const out = dir();
    const job = await run(example('custom-sink'), { params: { out, count: '10000' }, workDir: dir() });
    const result = await job.done;
    expect(result.metrics.checkpoints!.completed).toBeGreaterThan(0);
    const files = readdirSync(out);
    expect(files.filter((f) => f.startsWith('.pending-'))).toEqual([]);
    expect(files.every((f) => /^part-[01]-\d+\.json$/.test(f))).toBe(true);
    const records = files.flatMap((f) => JSON.parse(readFileSync(join(out, f), 'utf8')) as Array<{ key: number; seq: number }>);
    expect(records).toHaveLength(10_000);
  });

  it('examples/custom-sink.ts after a failure: recovery commits what the restored checkpoint pre-committed, the rest is replayed, no record twice', async () => {
    const out = dir();
    const job = await run(jobUrl('custom-sink-recovery'), {
      params: { out, markers: dir(), failAt: '1500', count: '6000' },
      workDir: dir(),
      restartStrategy: { kind: 'fixed-delay', attempts: 1, delayMs: 100 },
    });
    const result = await job.done;
    expect(result.metrics.restarts).toHaveLength(1);
    expect(result.metrics.restarts![0].restoredFromId).toBeGreaterThan(0);
    const files = readdirSync(out);
    expect(files.filter((f) => f.startsWith('.pending-'))).toEqual([]);
    const records = files.flatMap((f) => JSON.parse(readFileSync(join(out, f), 'utf8')) as Array<{ seq: number; value: number }>);
    const ids = records.map((r) => `${r.seq}:${r.value}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(records).toHaveLength(6000);
  });
});
