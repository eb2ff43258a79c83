import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/connectors/sinks.ts';
import { exchangeRecordBytesMax } from '../../src/limits.ts';
import type { JobMetrics } from '../../src/runtime/metrics.ts';
import { run } from '../../src/runtime/index.ts';
import { expectWeirError, jobUrl, tempDir } from '../helpers.ts';

const ringCapacityBytes = 4096;
const recordMax = exchangeRecordBytesMax(ringCapacityBytes); // 984 bytes

/** Lines 1–4: k = line; line 2 is 2 000 bytes, line 3 exactly the largest record an exchange carries. */
function rows(dir: string): string {
  const line = (k: number, bytes: number) => {
    const head = JSON.stringify({ k, pad: '' });
    return JSON.stringify({ k, pad: 'x'.repeat(bytes - head.length) });
  };
  const file = join(dir, 'rows.jsonl');
  writeFileSync(file, [line(1, 50), line(2, 2000), line(3, recordMax), line(4, 50)].join('\n') + '\n');
  return file;
}

describe('record size: one limit per path, checked where the record enters', () => {
  it('the largest record an exchange carries is a quarter of the ring less 40 bytes of frame', () => {
    expect(exchangeRecordBytesMax(4096)).toBe(984);
    expect(exchangeRecordBytesMax(1 << 20)).toBe(262_104);
    expect(exchangeRecordBytesMax(1 << 28)).toBe((1 << 24) - 40);
  });

  it('a line longer than an exchange carries (given the ring) is dead-lettered by the source, with the limit and how to raise it; the job goes on', async () => {
    const dir = tempDir();
    try {
      const file = rows(dir.path);
      const result = await (await run(jobUrl('long-lines'), { params: { files: file }, parallelism: 2, ringCapacityBytes })).done;
      expect((result.results.keys as number[]).sort()).toEqual([1, 3, 4]);
      const dlq = result.results.dlq as DeadLetter[];
      expect(dlq).toHaveLength(1);
      expect(dlq[0]).toMatchObject({ source: 'lines', partition: 0, offset: 2 });
      expect(dlq[0].reason).toBe(`line too long at ${file}:2 (2000 bytes > ${recordMax}): the limit is the largest record an exchange carries (a quarter of ringCapacityBytes, less 40 bytes); raise ringCapacityBytes (--ring-capacity-bytes) or set maxLineBytes`);
    } finally {
      dir.remove();
    }
  });

  it("a larger record let in by the source's own maxLineBytes meets the exchange's limit under the keyBy's error policy: 'dead-letter' goes on", async () => {
    const dir = tempDir();
    try {
      const file = rows(dir.path);
      const result = await (await run(jobUrl('long-lines'), { params: { files: file, maxLineBytes: '100000' }, parallelism: 2, ringCapacityBytes, onError: 'dead-letter' })).done;
      expect((result.results.keys as number[]).sort()).toEqual([1, 3, 4]);
      const dlq = result.results.dlq as DeadLetter[];
      expect(dlq).toHaveLength(1);
      expect(dlq[0]).toMatchObject({ source: 'by-k', partition: 0, offset: 2 });
      expect(dlq[0].reason).toContain('operator "by-k": a record of 2000 encoded bytes');
      expect(dlq[0].reason).toContain('raise ringCapacityBytes');
      expect(result.metrics.operators.find((o) => o.name === 'by-k')!.deadLetters).toBe(1);
    } finally {
      dir.remove();
    }
  });

  it("… and 'fail' (the default) fails with WEIR_RECORD_TOO_LARGE naming the keyBy and the record", async () => {
    const dir = tempDir();
    try {
      const file = rows(dir.path);
      const handle = await run(jobUrl('long-lines'), { params: { files: file, maxLineBytes: '100000' }, parallelism: 2, ringCapacityBytes });
      const err = await expectWeirError(handle.done, 'WEIR_RECORD_TOO_LARGE');
      expect(err.operator).toBe('by-k');
      expect(err.partition).toBe(0);
      expect(err.offset).toBe(2);
      expect(err.message).toContain('-byte header), the record from source partition 0 at offset 2, does not fit');
    } finally {
      dir.remove();
    }
  });

  it('weir run --ring-capacity-bytes sets the ring, and with it the longest line accepted', async () => {
    const dir = tempDir();
    try {
      const file = rows(dir.path);
      const weir = fileURLToPath(new URL('../../bin/weir.mjs', import.meta.url));
      const job = fileURLToPath(jobUrl('long-lines'));
      const exec = (ring: number) => promisify(execFile)(process.execPath, [weir, 'run', job, '--param', `files=${file}`, '--parallelism', '2', '--ring-capacity-bytes', String(ring), '--json', '--quiet']);
      const small = JSON.parse((await exec(4096)).stdout) as { options: { ringCapacityBytes: number }; metrics: JobMetrics };
      expect(small.options.ringCapacityBytes).toBe(4096);
      expect(small.metrics.deadLetters).toBe(1);
      const large = JSON.parse((await exec(16384)).stdout) as { options: { ringCapacityBytes: number }; metrics: JobMetrics };
      expect(large.options.ringCapacityBytes).toBe(16384);
      expect(large.metrics.deadLetters).toBe(0);
      expect(large.metrics.operators.find((o) => o.name === 'keys')!.recordsOut).toBe(4);
    } finally {
      dir.remove();
    }
  });
});
