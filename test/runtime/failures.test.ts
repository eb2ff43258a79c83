import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/runtime/index.ts';
import { WeirError } from '../../src/errors.ts';
import { expectWeirError, jobUrl, tempDir } from '../helpers.ts';

async function failure(what: string): Promise<WeirError> {
  const handle = await run(jobUrl('failing'), { params: { what }, parallelism: 2 });
  return expectWeirError(handle.done);
}

describe('failures', () => {
  it('a throwing user function fails the job, naming the operator, partition and offset, keeping the stack', async () => {
    const err = await failure('throw');
    expect(err.code).toBe('WEIR_USER_FUNCTION');
    expect(err.operator).toBe('check');
    expect(err.offset).toBe(1234);
    expect([0, 1]).toContain(err.partition);
    expect(err.message).toMatch(/operator "check" threw on the record from source partition \d at offset 1234: bad record 1234/);
    expect(err.stack).toContain('TypeError: bad record 1234');
    expect(err.stack).toContain('failing.ts');
  });

  it('a worker thread that exits fails the job with a clear error (the other workers do not wait for it)', async () => {
    const err = await failure('exit');
    expect(err.code).toBe('WEIR_WORKER_DIED');
    expect(err.message).toMatch(/worker \d died/);
  });

  it('a record larger than a ring can carry is a clear error naming the operator, not a hang', async () => {
    const err = await failure('huge');
    expect(err.code).toBe('WEIR_RECORD_TOO_LARGE');
    expect(err.operator).toBe('second-exchange');
    expect(err.message).toContain('second-exchange');
  });

  it('a key selector that returns undefined names the operator and the record', async () => {
    const err = await failure('no-key');
    expect(err.code).toBe('WEIR_USER_FUNCTION');
    expect(err.operator).toBe('by-key');
    expect(err.offset).toBe(77);
  });

  it('a job module without a default job is rejected up front', async () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'not-a-job.mjs');
      writeFileSync(file, 'export const x = 1;\n');
      await expect(run(file)).rejects.toMatchObject({ code: 'WEIR_JOB_DEFINITION' });
    } finally {
      dir.remove();
    }
  });
});

describe('bad input goes to dead letters', () => {
  it('malformed JSON lines are dead-lettered with reason and position; counts reconcile', async () => {
    const dir = tempDir();
    try {
      const a = join(dir.path, 'a.jsonl');
      const b = join(dir.path, 'b.jsonl');
      writeFileSync(a, '{"id":1}\n{"id":2}\n{not json\n{"id":3}\n');
      writeFileSync(b, '{"id":4}\n[1,2\n{"id":5}');
      const result = await (await run(jobUrl('jsonl'), { params: { files: `${a},${b}` } })).done;
      expect((result.results.ids as number[]).sort((x, y) => x - y)).toEqual([10, 20, 30, 40, 50]);
      const dlq = result.results.dlq as Array<{ reason: string; offset: number; raw: string; partition: number }>;
      expect(dlq).toHaveLength(2);
      const byRaw = Object.fromEntries(dlq.map((d) => [d.raw, d]));
      expect(byRaw['{not json'].reason).toContain(`${a}:3`);
      expect(byRaw['{not json'].offset).toBe(3);
      expect(byRaw['[1,2'].reason).toContain(`${b}:2`);
      expect(result.metrics.deadLetters).toBe(2);
      const source = result.metrics.operators.find((o) => o.name === 'lines')!;
      expect(source.recordsOut + result.metrics.deadLetters).toBe(7); // lines read = emitted + dead-lettered
    } finally {
      dir.remove();
    }
  });
});
