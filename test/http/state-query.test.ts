import { describe, expect, it } from 'vitest';
import { keyGroupOf, workerOfKeyGroup } from '../../src/runtime/keys.ts';
import { run, type JobHandle } from '../../src/runtime/job/run.ts';
import { expectWeirError, jobUrl, tempDirsPerTest } from '../helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const get = async (job: JobHandle, path: string) => {
  const res = await fetch(`${job.http!.url}${path}`);
  return { status: res.status, body: await res.json() };
};
const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
const recordsIn = (job: JobHandle, operator: string) => job.metrics().operators.find((op) => op.name === operator)!.recordsIn;

describe.each(['heap', 'lmdb'] as const)('queryable state (%s backend)', (stateBackend) => {
  const dir = tempDirsPerTest(`weir-state-query-${stateBackend}-`);

  it('job.queryState answers value, map and window state from the worker that owns the key, as processing goes on', async () => {
    const job = await run(jobUrl('observed'), { params: { rate: '3000' }, workDir: dir(), stateBackend });
    try {
      await job.ready;
      while (recordsIn(job, 'count') < 2_000) await sleep(20);

      // Every record counted before this metrics reading is in the state the queries see.
      const countedBefore = recordsIn(job, 'count');
      const first = await Promise.all(keys.map((key) => job.queryState('count', 'seen', key)));
      const workers = new Set<number>();
      for (const [i, answer] of first.entries()) {
        expect(answer).toMatchObject({ operator: 'count', state: 'seen', key: keys[i], kind: 'value', found: true });
        expect(answer.worker).toBe(workerOfKeyGroup(keyGroupOf(keys[i], job.options.keyGroups), job.options.keyGroups, 2));
        workers.add(answer.worker);
      }
      expect(workers).toEqual(new Set([0, 1]));
      expect(first.reduce((sum, a) => sum + (a.value as number), 0)).toBeGreaterThanOrEqual(countedBefore);

      // Map state: entries in key order; the counts of a key's buckets add up to at least its count read before.
      const buckets = await job.queryState('count', 'buckets', 'k3');
      expect(buckets.kind).toBe('map');
      const entries = buckets.value as Array<{ key: number; value: number }>;
      expect(entries.map((e) => e.key)).toEqual([...entries.map((e) => e.key)].sort((a, b) => a - b));
      expect(entries.reduce((sum, e) => sum + e.value, 0)).toBeGreaterThanOrEqual(first[3].value as number);
      const range = await job.queryState('count', 'buckets', 'k3', { from: 2, to: 6, limit: 3 });
      expect((range.value as Array<{ key: number }>).map((e) => e.key)).toEqual(entries.map((e) => e.key).filter((k) => k >= 2 && k < 6).slice(0, 3));

      // The key's windows: 1 s tumbling windows, each counting its records.
      const windows = await job.queryState('per-second', 'windows', 'k3');
      expect(windows.kind).toBe('windows');
      const slots = windows.value as Array<{ start: number; end: number; count: number; contents: number }>;
      expect(slots.length).toBeGreaterThan(0);
      for (const w of slots) {
        expect(w.end - w.start).toBe(1_000);
        expect(w.contents).toBe(w.count);
      }
      // Windows overlapping [from, to), in start order (windows come and go between two queries).
      const from = slots[0].end;
      const some = (await job.queryState('per-second', 'windows', 'k3', { from, to: from + 2_000, limit: 5 })).value as typeof slots;
      for (const w of some) expect(w.end > from && w.start < from + 2_000).toBe(true);
      expect(some.map((w) => w.start)).toEqual([...some.map((w) => w.start)].sort((a, b) => a - b));

      // Processing goes on: a later answer counts more.
      while (recordsIn(job, 'count') < countedBefore + 2_000) await sleep(20);
      expect((await job.queryState('count', 'seen', 'k3')).value as number).toBeGreaterThan(first[3].value as number);
      // A key never seen: not found, no error.
      expect(await job.queryState('count', 'seen', 'k-none')).toMatchObject({ found: false, value: undefined });

      await expectWeirError(job.queryState('count', 'seen', 3), 'WEIR_QUERY_BAD_REQUEST', /key 3 is a number, but the keys of operator "count" state "seen" are strings/);
      await expectWeirError(job.queryState('count', 'nope', 'k3'), 'WEIR_QUERY_NOT_FOUND', /operator "count" has no state "nope" \(its states: "seen", "buckets"/);
      await expectWeirError(job.queryState('nope', 'seen', 'k3'), 'WEIR_QUERY_NOT_FOUND', /no operator "nope" \(operators with keyed state: "count", "per-second", "bucket-totals"\)/);
      await expectWeirError(job.queryState('parse', 'seen', 'k3'), 'WEIR_QUERY_NOT_FOUND', /operator "parse" \(map\) has no keyed state/);
    } finally {
      await job.stop();
    }
    await expectWeirError(job.queryState('count', 'seen', 'k3'), 'WEIR_QUERY_UNAVAILABLE', /the job is finished/);
  });

  it('GET /state/<operator>/<state>/<key> answers over HTTP, with 404 and 400 and a WeirError code for bad queries', async () => {
    const job = await run(jobUrl('observed'), { params: { rate: '3000' }, workDir: dir(), stateBackend, http: { port: 0 } });
    try {
      await job.ready;
      while (recordsIn(job, 'count') < 1_000 || recordsIn(job, 'bucket-totals') < 1_000) await sleep(20);

      const before = (await job.queryState('count', 'seen', 'k5')).value as number;
      const seen = await get(job, '/state/count/seen/k5');
      expect(seen.status).toBe(200);
      expect(seen.body).toMatchObject({ operator: 'count', state: 'seen', key: 'k5', kind: 'value', found: true });
      expect(seen.body.value).toBeGreaterThanOrEqual(before);

      // A number key: the text takes the type of the state's keys.
      const total = await get(job, '/state/bucket-totals/total/4');
      expect(total).toMatchObject({ status: 200, body: { key: 4, found: true } });
      expect(total.body.value).toBeGreaterThan(0);

      const range = await get(job, '/state/count/buckets/k5?from=3&to=8&limit=2');
      expect(range.status).toBe(200);
      expect(range.body.kind).toBe('map');
      expect(range.body.value.length).toBeLessThanOrEqual(2);
      for (const e of range.body.value) expect(e.key >= 3 && e.key < 8).toBe(true);

      const windows = await get(job, `/state/per-second/windows/${encodeURIComponent('k5')}`);
      expect(windows).toMatchObject({ status: 200, body: { kind: 'windows', found: true } });

      expect(await get(job, '/state/count/seen/k-none')).toMatchObject({ status: 200, body: { found: false } });
      expect(await get(job, '/state/nope/seen/k5')).toMatchObject({ status: 404, body: { code: 'WEIR_QUERY_NOT_FOUND' } });
      expect(await get(job, '/state/count/nope/k5')).toMatchObject({ status: 404, body: { code: 'WEIR_QUERY_NOT_FOUND' } });
      expect(await get(job, '/state/bucket-totals/total/four')).toMatchObject({ status: 400, body: { code: 'WEIR_QUERY_BAD_REQUEST', message: expect.stringMatching(/key "four" is not a number/) } });
      expect(await get(job, '/state/count/seen/k5?from=1')).toMatchObject({ status: 400, body: { code: 'WEIR_QUERY_BAD_REQUEST' } });
      expect(await get(job, '/state/count/buckets/k5?limit=-1')).toMatchObject({ status: 400, body: { code: 'WEIR_QUERY_BAD_REQUEST' } });
      expect(await get(job, '/state/count/seen')).toMatchObject({ status: 400, body: { code: 'WEIR_QUERY_BAD_REQUEST' } });
    } finally {
      await job.stop();
    }
  });
});

describe('queryable state of an idle job', () => {
  const dir = tempDirsPerTest('weir-state-query-idle-');

  it('is answered while the workers are parked with nothing to read', async () => {
    // 20 records/s: the workers spend nearly all their time parked on their doorbells.
    const job = await run(jobUrl('observed'), { params: { rate: '20' }, workDir: dir() });
    try {
      await job.ready;
      while (recordsIn(job, 'count') < 40) await sleep(20);
      const answers = await Promise.all(keys.map((key) => job.queryState('count', 'seen', key)));
      expect(answers.filter((a) => a.found).length).toBeGreaterThan(0);
      expect(answers.reduce((sum, a) => sum + ((a.value as number | undefined) ?? 0), 0)).toBeGreaterThanOrEqual(40);
    } finally {
      await job.stop();
    }
  });
});

describe('queryable state across a restart', () => {
  const dir = tempDirsPerTest('weir-state-query-restart-');

  it('answers from the restarted attempt, whose workers restored the state', async () => {
    const job = await run(jobUrl('checkpointed-counts'), {
      params: { count: '200000', rate: '2000', faults: 'throw@6000', markers: dir() },
      workDir: dir(),
      checkpointIntervalMs: 200,
      restartStrategy: { kind: 'fixed-delay', attempts: 1, delayMs: 100 },
    });
    try {
      await job.ready;
      while (recordsIn(job, 'running-count') < 200) await sleep(20);
      const before = await job.queryState('running-count', 'seen', 3);
      expect(before).toMatchObject({ found: true, key: 3 });
      while (job.metrics().restarts!.length === 0 || job.metrics().state !== 'running') await sleep(20);
      // At once, maybe before the new attempt used the state: read from its restored store as the
      // first attempt described it.
      const after = await job.queryState('running-count', 'seen', 3);
      expect(after).toMatchObject({ found: true, key: 3, kind: 'value' });
      expect(after.value as number).toBeGreaterThan(0);
      const all = await Promise.all(Array.from({ length: 50 }, (_, key) => job.queryState('running-count', 'seen', key)));
      expect(new Set(all.map((a) => a.worker))).toEqual(new Set([0, 1]));
    } finally {
      await job.stop();
    }
  });
});
