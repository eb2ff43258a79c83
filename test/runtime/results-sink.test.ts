import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/connectors/sinks.ts';
import { run } from '../../src/runtime/job/run.ts';
import { expectWeirError, jobUrl, tempDirsPerTest } from '../helpers.ts';

interface Row {
  key: number;
  seq: number;
  padding: string;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sorted = (rows: Row[]) => rows.map((r) => JSON.stringify(r)).sort();

describe('resultsSink and job.results()', () => {
  const dir = tempDirsPerTest('weir-results-');

  it('delivers every record of a bounded job exactly once to the main thread, then ends', async () => {
    const job = await run(jobUrl('results'), { params: { count: '20000', batchRecords: '100' }, workDir: dir() });
    const received: Row[] = [];
    for await (const row of job.results<Row>('out')) received.push(row);
    const result = await job.done;
    const all = result.results.all as Row[];
    expect(all).toHaveLength(20_000);
    expect(received).toHaveLength(20_000);
    expect(sorted(received)).toEqual(sorted(all));
  });

  it('at-least-once across a restart: every record arrives, those before the failure perhaps twice', async () => {
    const job = await run(jobUrl('results'), {
      params: { count: '20000', batchRecords: '50', failAt: '6000', markers: dir() },
      workDir: dir(),
      restartStrategy: { kind: 'fixed-delay', attempts: 1, delayMs: 100 },
    });
    const received: Row[] = [];
    for await (const row of job.results<Row>('out')) received.push(row);
    const result = await job.done;
    expect(result.metrics.restarts).toHaveLength(1);
    const all = result.results.all as Row[]; // the last attempt's, from the start (no checkpoints)
    expect(all).toHaveLength(20_000);
    expect(received.length).toBeGreaterThanOrEqual(20_000);
    expect(new Set(sorted(received))).toEqual(new Set(sorted(all)));
  });

  it('holds the job back while the consumer is slow: the source reads only a bounded amount ahead', async () => {
    const [parallelism, batchRecords, batchesInFlight] = [2, 50, 2];
    const job = await run(jobUrl('results'), { params: { padding: '1000', batchRecords: String(batchRecords), batchesInFlight: String(batchesInFlight) }, workDir: dir(), parallelism });
    // Per subtask: the batch it fills, those waiting in the main thread, and the one the consumer reads.
    const aheadMax = parallelism * (batchesInFlight + 2) * batchRecords;
    const sourceRecords = () => job.metrics().sources.reduce((a, s) => a + s.records, 0);
    const rows = job.results<Row>('out');
    let consumed = 0;
    let heapAtStart = 0;
    while (consumed < 3000) {
      const next = await rows.next();
      expect(next.done).toBe(false);
      expect((next.value as Row).padding).toHaveLength(1000);
      consumed++;
      if (consumed === 1000) heapAtStart = process.memoryUsage().heapUsed;
      if (consumed % 100 === 0) {
        // A slow consumer; the unbounded source could produce far more meanwhile.
        await sleep(20);
        expect(sourceRecords() - consumed).toBeLessThanOrEqual(aheadMax);
      }
    }
    // The consumer pauses (still subscribed): the backlog would grow without bound, if anything let it.
    await sleep(1000);
    expect(sourceRecords() - consumed).toBeLessThanOrEqual(aheadMax);
    expect(process.memoryUsage().heapUsed - heapAtStart).toBeLessThan(64 * 1024 * 1024);
    // Leaving lets the job go on without the consumer (what follows is dropped): it stops normally.
    await rows.return!(undefined);
    const result = await job.stop();
    expect(result.metrics.state).toBe('finished');
  });

  it('a consumer that leaves early does not hold the job: a bounded job larger than the bound finishes', async () => {
    const job = await run(jobUrl('results'), { params: { count: '5000', batchRecords: '10', batchesInFlight: '1' }, workDir: dir() });
    let seen = 0;
    for await (const row of job.results<Row>('out')) {
      expect(typeof row.seq).toBe('number');
      if (++seen === 25) break;
    }
    const result = await job.done;
    expect(result.results.all as Row[]).toHaveLength(5000);
  });

  it('the dead-letter output can be a results sink too', async () => {
    const input = join(dir(), 'in.jsonl');
    writeFileSync(input, ['{"id": 1}', 'not json', '{"id": 2}', '{"id": ', '{"id": 3}'].join('\n') + '\n');
    const job = await run(jobUrl('dead-letters'), { params: { files: input, dlqResults: 'bad' }, workDir: dir() });
    const bad: DeadLetter[] = [];
    for await (const letter of job.results<DeadLetter>('bad')) bad.push(letter);
    const result = await job.done;
    expect(result.metrics.deadLetters).toBe(2);
    expect(bad.map((b) => [b.offset, b.raw]).sort()).toEqual([
      [2, 'not json'],
      [4, '{"id": '],
    ]);
  });

  it('names an unknown sink and refuses a second consumer', async () => {
    const job = await run(jobUrl('results'), { params: { count: '10' }, workDir: dir() });
    await expectWeirError(Promise.resolve().then(() => job.results('nope')), 'WEIR_CONFIG', /no resultsSink of that name \(its results sinks: "out"\)/);
    const rows = job.results<Row>('out');
    await expectWeirError(Promise.resolve().then(() => job.results('out')), 'WEIR_CONFIG', /can be read once/);
    const received: Row[] = [];
    for await (const row of rows) received.push(row);
    expect(received).toHaveLength(10);
    await job.done;
  });
});
