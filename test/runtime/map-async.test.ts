import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/runtime/index.ts';
import { generator, readCommittedLines } from '../../src/connectors/index.ts';
import { expectWeirError, jobUrl, readAll, tempDirsPerTest } from '../helpers.ts';
import type { Looked } from '../jobs/async-lookups.ts';

const newDir = tempDirsPerTest('weir-map-async-');
const modes = [
  { mode: 'continuous' as const },
  { mode: 'micro-batch' as const, microBatchIntervalMs: 5 },
];

async function lookups(params: Record<string, string>, mode: (typeof modes)[number]) {
  const result = await (await run(jobUrl('async-lookups'), { ...mode, workDir: newDir(), parallelism: 2, params })).done;
  return { result, out: result.results.out as Looked[] };
}

/** Each partition's records in the order they reached the sink. */
function byPartition(out: Looked[]): number[][] {
  return [0, 1].map((p) => out.filter((r) => r.p === p).map((r) => r.seq));
}

const count = 400;
const every = Array.from({ length: count }, (_, i) => i);

describe('mapAsync', () => {
  for (const mode of modes) {
    describe(mode.mode, () => {
      it('ordered: every result, each partition in input order, none behind the watermark, at most capacity lookups in flight', async () => {
        const { out, result } = await lookups({ count: String(count), capacity: '20' }, mode);
        expect(byPartition(out)).toEqual([every, every]);
        expect(out.filter((r) => r.late)).toEqual([]);
        // The first poll fills the operator: exactly capacity lookups were in flight at once, never more.
        expect(Math.max(...out.map((r) => r.concurrent))).toBe(20);
        const enrich = result.metrics.operators.find((o) => o.name === 'enrich')!;
        expect(enrich.recordsIn).toBe(2 * count);
        expect(enrich.recordsOut).toBe(2 * count);
      });

      it('unordered: every result once, in completion order, never behind the watermark', async () => {
        const { out } = await lookups({ count: String(count), capacity: '20', ordered: 'false' }, mode);
        const seen = byPartition(out);
        expect(seen.map((s) => [...s].sort((a, b) => a - b))).toEqual([every, every]);
        // Lookups of every seventh record take longest: later ones overtake them.
        expect(seen.some((s) => s.some((seq, i) => i > 0 && seq < s[i - 1]))).toBe(true);
        expect(out.filter((r) => r.late)).toEqual([]);
        expect(Math.max(...out.map((r) => r.concurrent))).toBeLessThanOrEqual(20);
      });

      it('a capacity of 1 issues one lookup at a time', async () => {
        const { out } = await lookups({ count: '60', capacity: '1' }, mode);
        expect(out.map((r) => r.concurrent)).toEqual(out.map(() => 1));
        expect(byPartition(out)).toEqual([0, 1].map(() => Array.from({ length: 60 }, (_, i) => i)));
      });

      it('a failed attempt is retried and the record goes on', async () => {
        const { out } = await lookups({ what: 'retry', count: '200', capacity: '10' }, mode);
        expect(byPartition(out)).toEqual([0, 1].map(() => Array.from({ length: 200 }, (_, i) => i)));
        for (const r of out) expect(r.attempts).toBe(r.seq % 10 === 0 ? 2 : 1);
      });

      it('a lookup that never settles fails the job, naming the operator and the record', async () => {
        const started = run(jobUrl('async-lookups'), { ...mode, workDir: newDir(), parallelism: 2, params: { what: 'timeout', count: '200' } });
        const err = await expectWeirError(started.then((h) => h.done), 'WEIR_ASYNC_TIMEOUT');
        expect(err.operator).toBe('enrich');
        expect(err.partition).toBe(1);
        expect(err.offset).toBe(77);
        expect(err.message).toBe('operator "enrich": the request for the record from source partition 1 at offset 77 did not settle within 30 ms');
      });

      it("a lookup that never settles goes to the dead letters under onError 'dead-letter', the rest goes on", async () => {
        const workDir = newDir();
        const result = await (await run(jobUrl('async-lookups'), { ...mode, workDir, parallelism: 2, params: { what: 'timeout', count: '200', onError: 'dead-letter' } })).done;
        const out = result.results.out as Looked[];
        expect(byPartition(out)).toEqual([Array.from({ length: 200 }, (_, i) => i), Array.from({ length: 200 }, (_, i) => i).filter((i) => i !== 77)]);
        // Partition 1 is read by worker 1, whose dead letters go to its own file.
        const letters = readFileSync(join(workDir, 'dead-letters-1.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(readFileSync(join(workDir, 'dead-letters-0.jsonl'), 'utf8')).toBe('');
        expect(letters).toHaveLength(1);
        expect(letters[0]).toMatchObject({ source: 'enrich', partition: 1, offset: 77, reason: expect.stringContaining('did not settle within 30 ms') });
        expect(JSON.parse(letters[0].raw as string)).toEqual({ p: 1, seq: 77, ts: 1_700_000_000_077 });
      });

      it.each(['recovery', 'recovery-keyed'])('a failure: the job restarts from a checkpoint holding the lookups in flight, and the exactly-once sink has every record once (%s)', async (what) => {
        const workDir = newDir();
        const out = join(workDir, 'out');
        const events = 4000;
        const handle = await run(jobUrl('async-lookups'), {
          ...mode,
          workDir,
          parallelism: 2,
          checkpointIntervalMs: 20,
          restartStrategy: { kind: 'fixed-delay', attempts: 5, delayMs: 10 },
          params: { what, count: String(events), capacity: '50', failAt: '1500', markers: workDir, out, rate: '10000' },
        });
        const result = await handle.done;
        expect(existsSync(join(workDir, 'fault'))).toBe(true);
        expect(result.metrics.restarts).toHaveLength(1);
        const expected = (await readAll(generator({ partitions: 2, count: events, keys: 100, seed: 9, eventTimeStartMs: 1_700_000_000_000, eventTimeStepMs: 1 }))).map(({ value: e }) => `${e.key} ${e.seq} ${e.value}`);
        expect(readCommittedLines(out).sort()).toEqual(expected.sort());
      });
    });
  }

  it('{ open, map, close }: open runs on each worker before its first lookup, close once when it ends, and after a failure', async () => {
    const lines = (dir: string) => readFileSync(join(dir, 'lifecycle.log'), 'utf8').trim().split('\n').sort();
    const ended = newDir();
    const { out } = await lookups({ what: 'lifecycle', count: '100', capacity: '10', log: ended }, modes[0]);
    expect(byPartition(out)).toEqual([0, 1].map(() => Array.from({ length: 100 }, (_, i) => i)));
    expect(lines(ended)).toEqual(['close 0', 'close 1', 'open 0', 'open 1']);

    const failed = newDir();
    const handle = await run(jobUrl('async-lookups'), { workDir: newDir(), parallelism: 2, params: { what: 'lifecycle', count: '100', capacity: '10', failAt: '50', log: failed } });
    await expectWeirError(handle.done, 'WEIR_USER_FUNCTION', /the store refused 1\/50/);
    expect(lines(failed)).toEqual(['close 0', 'close 1', 'open 0', 'open 1']);
  });

  it('options are checked when the job is defined', async () => {
    const { DataStream } = await import('../../src/api/index.ts');
    const { JobGraph } = await import('../../src/api/graph.ts');
    const graph = new JobGraph();
    const stream = new DataStream<number>(graph, 0);
    expect(() => stream.mapAsync(async (x) => x, { capacity: 0 })).toThrow(/capacity must be an integer from 1/);
    expect(() => stream.mapAsync(async (x) => x, { timeoutMs: -1 })).toThrow(/timeoutMs must be a positive number/);
    expect(() => stream.mapAsync(async (x) => x, { retry: { attempts: 0 } })).toThrow(/retry.attempts must be an integer from 1/);
    expect(() => stream.mapAsync({} as never)).toThrow(/takes a function or \{ open\?, map, close\? \}/);
    expect(() => stream.mapAsync({ map: (x) => x, async open() {} })).toThrow(/open is an async function/);
  });
});
