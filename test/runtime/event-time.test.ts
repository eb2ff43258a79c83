import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/runtime/index.ts';
import { generatedEvent } from '../../src/connectors/index.ts';
import { expectWeirError, jobUrl, tempDir, waitLimitMs } from '../helpers.ts';
import { bucketMs, sourceOptions, type Output } from '../jobs/event-buckets.ts';
import { records as badRecords } from '../jobs/bad-timestamps.ts';

/** Brute force over the same generated input: counts per (key, bucket), and per-key totals. */
function expectedBuckets(count: number) {
  const opts = sourceOptions(count);
  const buckets = new Map<string, number>();
  const totals = new Map<number, { sum: number; n: number; buckets: Set<number> }>();
  const hundredths: Array<{ key: number; seq: number }> = [];
  for (let p = 0; p < opts.partitions; p++) {
    for (let i = 0; i < count / opts.partitions; i++) {
      const e = generatedEvent(opts, p, i);
      const bucket = Math.floor(e.ts / bucketMs) * bucketMs;
      buckets.set(`${e.key}/${bucket}`, (buckets.get(`${e.key}/${bucket}`) ?? 0) + 1);
      const t = totals.get(e.key) ?? { sum: 0, n: 0, buckets: new Set<number>() };
      t.sum += Math.floor(e.value);
      t.n++;
      t.buckets.add(bucket);
      totals.set(e.key, t);
      if (e.seq % 100 === 0) hundredths.push({ key: e.key, seq: e.seq });
    }
  }
  return { buckets, totals, hundredths };
}

const bySeq = (a: { key: number; seq: number }, b: { key: number; seq: number }) => a.key - b.key || a.seq - b.seq;

describe('event time on real worker threads', () => {
  for (const stateBackend of ['lmdb', 'heap'] as const) {
    for (const mode of ['continuous', 'micro-batch'] as const) {
      it(`${mode}, ${stateBackend}: event-time timers fire in order per key, after every record of their bucket; state primitives agree with brute force`, async () => {
        const count = 20_000;
        const handle = await run(jobUrl('event-buckets'), { mode, stateBackend, parallelism: 2, params: { count: String(count) }, microBatchIntervalMs: 20 });
        const result = await handle.done;
        const want = expectedBuckets(count);
        const out = result.results.buckets as Output[];

        const got = new Map<string, number>();
        const lastBucket = new Map<number, number>();
        const totals = new Map<number, Output & { kind: 'total' }>();
        for (const o of out) {
          if (o.kind === 'total') {
            expect(totals.has(o.key)).toBe(false);
            totals.set(o.key, o);
            continue;
          }
          expect(totals.has(o.key), 'the +∞ timer fires after every bucket timer of its key').toBe(false);
          // Timers of a key fire in timestamp order, each once.
          expect(o.bucketStartMs).toBeGreaterThan(lastBucket.get(o.key) ?? -Infinity);
          lastBucket.set(o.key, o.bucketStartMs);
          got.set(`${o.key}/${o.bucketStartMs}`, o.count);
        }
        // Every record was counted in its bucket before the bucket's timer fired: no record was
        // late (the watermark's bound equals the generator's out-of-orderness).
        expect(got).toEqual(want.buckets);
        expect(totals.size).toBe(want.totals.size);
        for (const [key, t] of want.totals) {
          const o = totals.get(key)!;
          expect(o.sum).toBe(t.sum);
          expect(o.mean).toBeCloseTo(t.sum / t.n, 9);
          expect(o.buckets).toBe(t.buckets.size);
        }
        expect([...(result.results.hundredths as Array<{ key: number; seq: number }>)].sort(bySeq)).toEqual([...want.hundredths].sort(bySeq));
      });
    }
  }

  it('an idle partition stops holding the watermark back after the idleness timeout; without it nothing fires until the end', async () => {
    for (const idlenessMs of [200, 0]) {
      const dir = tempDir();
      try {
        const handle = await run(jobUrl('idle-partition'), { parallelism: 2, stateBackend: 'heap', workDir: dir.path, params: { idlenessMs: String(idlenessMs) } });
        const files = [0, 1].map((w) => join(dir.path, `buckets-${w}.jsonl`));
        const lines = () => files.flatMap((f) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : []));
        // Every record read first (however long a loaded machine takes to start the job and read
        // them); then, with idleness, all but the last bucket per key fire while running: wait for
        // those. Without, give it 3 s to fire nothing.
        const read = () => handle.metrics().operators.find((o) => o.name === 'events')!.recordsOut;
        for (let waitedMs = 0; read() < 2_000 && waitedMs < waitLimitMs; waitedMs += 50) await new Promise((r) => setTimeout(r, 50));
        const firedWhileRunning = idlenessMs > 0 ? 57 : 60;
        const deadlineMs = Date.now() + (idlenessMs > 0 ? waitLimitMs : 3_000);
        while (lines().length < firedWhileRunning && Date.now() < deadlineMs) await new Promise((r) => setTimeout(r, 50));
        const whileRunning = lines().length;
        await handle.stop();
        // 3 keys × 20 one-second buckets; stop() ends the input, so the last buckets fire then.
        expect(lines().length).toBe(60);
        if (idlenessMs > 0) expect(whileRunning).toBeGreaterThanOrEqual(57); // all but the last bucket per key (its end is past the watermark)
        else expect(whileRunning).toBe(0);
      } finally {
        dir.remove();
      }
    }
  });

  it('records with a missing, non-numeric, negative or far-future timestamp go to the dead letters with the reason', async () => {
    const result = await (await run(jobUrl('bad-timestamps'), { parallelism: 1 })).done;
    expect((result.results.good as Array<{ id: number }>).map((r) => r.id)).toEqual([0, 6]);
    const dead = result.results.dead as Array<{ source: string; offset: number; reason: string; raw: string }>;
    expect(dead.map((d) => d.offset)).toEqual([1, 2, 3, 4, 5]);
    expect(dead.map((d) => d.reason)).toEqual([
      'missing timestamp',
      'timestamp is NaN',
      'negative timestamp -5',
      expect.stringMatching(/^timestamp 1000000000000000 is more than 86400000 ms in the future$/),
      'timestamp is not a number (string)',
    ]);
    expect(dead.every((d) => d.source === 'events')).toBe(true);
    expect(JSON.parse(dead[0].raw)).toEqual(badRecords[1]);
    expect(result.metrics.deadLetters).toBe(5);
  });

  it('processing-time timers fire once per key, on time, while the job runs', async () => {
    const result = await (await run(jobUrl('keyed-cases'), { parallelism: 2, stateBackend: 'lmdb', params: { case: 'processing-time' } })).done;
    const fired = result.results.fired as Array<{ key: number; firedLateMs: number }>;
    expect(fired.map((f) => f.key).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const f of fired) expect(f.firedLateMs).toBeGreaterThanOrEqual(0);
  });

  it('the watermark of a union is the minimum of its inputs: no in-order record is ever behind it', async () => {
    const result = await (await run(jobUrl('keyed-cases'), { parallelism: 2, params: { case: 'union' } })).done;
    const seen = result.results.seen as Array<{ watermarkMs: number; timestampMs: number }>;
    expect(seen).toHaveLength(2_500);
    for (const s of seen) expect(s.timestampMs).toBeGreaterThan(s.watermarkMs);
  });

  it('records sent to a side output nobody reads go to the dead letters, naming the operator and the tag', async () => {
    const result = await (await run(jobUrl('keyed-cases'), { parallelism: 2, params: { case: 'unread-tag' } })).done;
    const dead = result.results.dead as Array<{ source: string; reason: string; raw: string }>;
    expect(dead).toHaveLength(10); // seq 0…4 of both partitions
    for (const d of dead) {
      expect(d.source).toBe('tagger');
      expect(d.reason).toBe('side output "nobody-reads-this" has no reader');
    }
    expect(dead.map((d) => JSON.parse(d.raw).seq).sort()).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
  });

  it('a throwing onTimer fails the job with an error naming the operator, the timer and the key', async () => {
    const handle = await run(jobUrl('keyed-cases'), { parallelism: 2, params: { case: 'timer-throws' } });
    const err = await expectWeirError(handle.done, 'WEIR_USER_FUNCTION', /^operator "throws-on-timer" threw in onTimer for the event-time timer \d+ of key 3: boom in onTimer$/);
    expect(err.operator).toBe('throws-on-timer');
    expect(err.stack).toContain('boom in onTimer');
  });

  it('the results of a sink are under its own name even when an operator already has that name', async () => {
    const result = await (await run(jobUrl('keyed-cases'), { parallelism: 2, stateBackend: 'heap', params: { case: 'same-name' } })).done;
    expect((result.results.counted as number[]).length).toBe(2_000);
    expect(result.metrics.operators.map((o) => o.name)).toEqual(expect.arrayContaining(['counted', 'counted-2']));
  });

  it('a throwing timestamp assigner fails the job with an error naming the source, partition and offset', async () => {
    const handle = await run(jobUrl('bad-timestamps'), { parallelism: 1, params: { throwAt: '3' } });
    const err = await expectWeirError(handle.done, 'WEIR_USER_FUNCTION', /cannot read the time of record 3/);
    expect(err.operator).toBe('events (timestamp assigner)');
    expect([err.partition, err.offset]).toEqual([0, 3]);
  });
});
