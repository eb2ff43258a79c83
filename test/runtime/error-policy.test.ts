import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/connectors/sinks.ts';
import type { JobMetrics } from '../../src/runtime/metrics.ts';
import { run } from '../../src/runtime/index.ts';
import { expectWeirError, jobUrl, tempDir } from '../helpers.ts';

// 11 lines: 3 good records, 3 JSON values that are not objects, a record without the key field, a
// record the keyed function throws on, a malformed line and 2 blank lines.
const lines = [
  '{"id":1,"user":"a"}',
  'null',
  '{"id":2,"user":"b"}',
  '',
  '42',
  '[1]',
  '{"id":3}',
  '{"id":13,"user":"a"}',
  '{not json',
  '   ',
  '{"id":4,"user":"c"}',
];

async function withFile<T>(body: (file: string) => Promise<T>): Promise<T> {
  const dir = tempDir();
  try {
    const file = join(dir.path, 'rows.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');
    return await body(file);
  } finally {
    dir.remove();
  }
}

/** Dead letters by line, as [operator, line, reason pattern]. */
function byLine(dlq: DeadLetter[]): Map<number, DeadLetter> {
  return new Map(dlq.map((d) => [d.offset as number, d]));
}

/** lines read = records that reached the sinks + filtered (none here) + dead letters + blank lines skipped. */
function expectReconciled(metrics: JobMetrics, sunk: number): void {
  const source = metrics.operators.find((o) => o.name === 'lines')!;
  expect(source.recordsOut + source.deadLetters + source.skipped).toBe(lines.length);
  const deadLetters = metrics.operators.reduce((a, o) => a + o.deadLetters, 0);
  expect(deadLetters).toBe(metrics.deadLetters);
  expect(sunk + deadLetters + source.skipped).toBe(lines.length);
}

describe('onError: dead-letter', () => {
  it('job-wide: every bad record goes to the dead letters with operator, position, reason and stack; every good one reaches the sink', async () => {
    await withFile(async (file) => {
      const result = await (await run(jobUrl('bad-lines'), { params: { files: file }, parallelism: 2, onError: 'dead-letter' })).done;
      expect((result.results.ids as number[]).sort((a, b) => a - b)).toEqual([1, 2, 4]);
      const dlq = result.results.dlq as DeadLetter[];
      expect(dlq).toHaveLength(6);
      const at = byLine(dlq);
      for (const [line, raw] of [[2, 'null'], [5, '42'], [6, '[1]']] as const) {
        const d = at.get(line)!;
        expect(d).toMatchObject({ source: 'parse', partition: 0, offset: line, raw });
        expect(d.reason).toBe(`operator "parse" threw on the record from source partition 0 at offset ${line}: not an object: ${raw}`);
        expect(d.stack).toContain('TypeError: not an object');
        expect(d.stack).toContain('bad-lines.ts');
      }
      expect(at.get(7)).toMatchObject({ source: 'by-user', partition: 0, offset: 7, raw: '{"id":3}' });
      expect(at.get(7)!.reason).toBe('operator "by-user": the key selector returned undefined for the record from source partition 0 at offset 7');
      expect(at.get(8)).toMatchObject({ source: 'check', partition: 0, offset: 8, raw: '{"id":13,"user":"a"}' });
      expect(at.get(8)!.reason).toContain('operator "check" threw on the record from source partition 0 at offset 8: unlucky 13');
      expect(at.get(8)!.stack).toContain('RangeError: unlucky 13');
      expect(at.get(9)).toMatchObject({ source: 'lines', partition: 0, offset: 9, raw: '{not json' });
      expect(at.get(9)!.reason).toContain(`malformed JSON at ${file}:9`);

      const ops = Object.fromEntries(result.metrics.operators.map((o) => [o.name, o]));
      expect(ops.lines).toMatchObject({ recordsOut: 8, deadLetters: 1, skipped: 2 });
      expect(ops.parse).toMatchObject({ recordsIn: 8, recordsOut: 5, deadLetters: 3 });
      expect(ops['by-user'].deadLetters).toBe(1);
      expect(ops.check).toMatchObject({ recordsIn: 4, recordsOut: 3, deadLetters: 1 });
      expectReconciled(result.metrics, 3);
    });
  });

  it("per operator: the operator's own onError wins over the job's, and the first failure of an operator left on 'fail' fails the job naming it and the record", async () => {
    await withFile(async (file) => {
      const handle = await run(jobUrl('bad-lines'), { params: { files: file, parse: 'dead-letter', check: 'dead-letter' }, parallelism: 2 });
      const err = await expectWeirError(handle.done, 'WEIR_USER_FUNCTION');
      expect(err.operator).toBe('by-user');
      expect(err.partition).toBe(0);
      expect(err.offset).toBe(7);
      expect(err.message).toBe('operator "by-user": the key selector returned undefined for the record from source partition 0 at offset 7');
    });
  });

  it("an operator's 'fail' overrides a job-wide 'dead-letter'", async () => {
    await withFile(async (file) => {
      const handle = await run(jobUrl('bad-lines'), { params: { files: file, check: 'fail' }, parallelism: 2, onError: 'dead-letter' });
      const err = await expectWeirError(handle.done, 'WEIR_USER_FUNCTION');
      expect(err.operator).toBe('check');
      expect(err.offset).toBe(8);
    });
  });

  it('user code routes records to a side output and to the dead letters from a non-keyed process', async () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'rows.jsonl');
      writeFileSync(file, ['{"id":1,"user":"a"}', '{"id":2,"kind":"audit"}', '', '{"id":3}', '{"id":4,"user":"b"}'].join('\n'));
      const result = await (await run(jobUrl('bad-lines'), { params: { files: file, route: '1' }, parallelism: 1 })).done;
      expect(result.results.ids).toEqual([1, 4]);
      expect(result.results.audit).toEqual([2]);
      expect(result.results.dlq).toEqual([{ source: 'route', partition: 0, offset: 4, reason: 'no user', raw: '{"id":3}' }]);
      const route = result.metrics.operators.find((o) => o.name === 'route')!;
      expect(route).toMatchObject({ recordsIn: 4, recordsOut: 2, deadLetters: 1 });
      const source = result.metrics.operators.find((o) => o.name === 'lines')!;
      expect(source).toMatchObject({ recordsOut: 4, deadLetters: 0, skipped: 1 });
    } finally {
      dir.remove();
    }
  });

  it("a timer that fails is dead-lettered as the timer's (partition -1, the timer as offset), and onTimer can dead-letter itself", async () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'rows.jsonl');
      writeFileSync(file, ['{"id":1,"user":"a"}', '{"id":2,"user":"b"}', '{"id":3,"user":"c"}'].join('\n'));
      const result = await (await run(jobUrl('bad-lines'), { params: { files: file, timers: '1' }, parallelism: 2, onError: 'dead-letter' })).done;
      expect(result.results.ids).toEqual([1000]);
      const dlq = (result.results.dlq as DeadLetter[]).sort((x, y) => x.raw.localeCompare(y.raw));
      expect(dlq).toHaveLength(2);
      expect(dlq[0]).toMatchObject({ source: 'timers', partition: -1, offset: 'event-time timer 1000', raw: '{"key":"b","timestampMs":1000,"timeDomain":"event-time"}' });
      expect(dlq[0].reason).toBe('operator "timers" threw in onTimer for the event-time timer 1000 of key "b": no timer for b');
      expect(dlq[0].stack).toContain('Error: no timer for b');
      expect(dlq[1]).toEqual({ source: 'timers', partition: -1, offset: 'event-time timer 1000', reason: 'c is retired', raw: '{"key":"c"}' });
      expect(result.metrics.operators.find((o) => o.name === 'timers')!.deadLetters).toBe(2);
    } finally {
      dir.remove();
    }
  });

  it('weir run --on-error dead-letter sets the job-wide policy', async () => {
    await withFile(async (file) => {
      const weir = fileURLToPath(new URL('../../bin/weir.mjs', import.meta.url));
      const job = fileURLToPath(jobUrl('bad-lines'));
      const { stdout } = await promisify(execFile)(process.execPath, [weir, 'run', job, '--param', `files=${file}`, '--parallelism', '2', '--on-error', 'dead-letter', '--json', '--quiet']);
      const out = JSON.parse(stdout) as { options: { onError: string }; metrics: JobMetrics };
      expect(out.options.onError).toBe('dead-letter');
      expect(out.metrics.deadLetters).toBe(6);
      expectReconciled(out.metrics, 3);
    });
  });
});

describe("onError: 'fail' (the default)", () => {
  it('the first bad record fails the job, naming the operator and the record', async () => {
    await withFile(async (file) => {
      const handle = await run(jobUrl('bad-lines'), { params: { files: file }, parallelism: 2 });
      const err = await expectWeirError(handle.done, 'WEIR_USER_FUNCTION');
      expect(err.operator).toBe('parse');
      expect(err.partition).toBe(0);
      expect(err.offset).toBe(2);
      expect(err.message).toBe('operator "parse" threw on the record from source partition 0 at offset 2: not an object: null');
    });
  });

  it('a job-wide onError other than fail or dead-letter is refused', async () => {
    await withFile(async (file) => {
      await expect(run(jobUrl('bad-lines'), { params: { files: file }, onError: 'ignore' as never })).rejects.toMatchObject({ code: 'WEIR_CONFIG' });
    });
  });
});
