// windowAll (parallel non-keyed windows) and topK per window on real worker threads, in both
// execution modes, against brute force over the same generated input; and the same job through a
// failure and recovery from a checkpoint, with exactly-once output.
import { describe, expect, it } from 'vitest';
import { run } from '../../src/runtime/index.ts';
import { shardKeyOf } from '../../src/api/all-windowed-stream.ts';
import { keyGroupOf, workerOfKeyGroup } from '../../src/runtime/keys.ts';
import { generatedEvent, generatorPartitionCount, type GeneratorOptions } from '../../src/connectors/generator.ts';
import { readCommittedLines } from '../../src/connectors/index.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jobUrl, tempDirsPerTest, waitLimitMs } from '../helpers.ts';
import * as job from '../jobs/window-all.ts';
import { slidingOf, tumblingOf, type Timed } from './brute-force.ts';

function input(opts: GeneratorOptions): Timed[] {
  const all: Timed[] = [];
  for (let p = 0; p < (opts.partitions ?? 2); p++) {
    for (let i = 0; i < generatorPartitionCount(opts, p); i++) {
      const e = generatedEvent(opts, p, i);
      all.push({ key: e.key, ts: e.ts, value: Math.floor(e.value) });
    }
  }
  return all;
}

/** Records grouped by every window `windowsOf(ts)` lists, by "start/end". */
function groupByWindow(records: Timed[], windowsOf: (ts: number) => Array<[number, number]>): Map<string, { start: number; end: number; records: Timed[] }> {
  const groups = new Map<string, { start: number; end: number; records: Timed[] }>();
  for (const r of records) {
    for (const [start, end] of windowsOf(r.ts)) {
      const id = `${start}/${end}`;
      if (!groups.has(id)) groups.set(id, { start, end, records: [] });
      groups.get(id)!.records.push(r);
    }
  }
  return groups;
}

// Best first: the higher score, then the smaller JSON text (of the record, or of the key).
const byScoreThenText = <E>(score: (e: E) => number, text: (e: E) => string) => (a: E, b: E) => {
  if (score(a) !== score(b)) return score(b) - score(a);
  return text(a) < text(b) ? -1 : text(a) > text(b) ? 1 : 0;
};

function expected(records: Timed[]) {
  const tumbling = [...groupByWindow(records, tumblingOf(job.tumblingMs)).values()];
  const sliding = [...groupByWindow(records, slidingOf(job.sliding.sizeMs, job.sliding.slideMs)).values()];
  const byStart = (a: { start: number; end: number }, b: { start: number; end: number }) => a.start - b.start || a.end - b.end;
  return {
    'all-tumbling': tumbling
      .map((w) => ({ start: w.start, end: w.end, count: w.records.length, max: Math.max(...w.records.map((r) => r.value)), sum: w.records.reduce((a, r) => a + r.value, 0) }))
      .sort(byStart),
    'all-sliding-max': sliding.map((w) => ({ start: w.start, end: w.end, max: Math.max(...w.records.map((r) => r.value)) })).sort(byStart),
    'all-topk': tumbling
      .map((w) => ({
        start: w.start,
        end: w.end,
        ranking: [...w.records]
          .sort(byScoreThenText((r) => r.value, (r) => JSON.stringify(r)))
          .slice(0, job.topRecords)
          .map((value, i) => ({ value, rank: i + 1 })),
      }))
      .sort(byStart),
    'keyed-topk': sliding
      .map((w) => {
        const counts = new Map<number, number>();
        for (const r of w.records) counts.set(r.key, (counts.get(r.key) ?? 0) + 1);
        const ranked = [...counts].sort(byScoreThenText(([, n]) => n, ([key]) => JSON.stringify(key))).slice(0, job.topKeys);
        return { start: w.start, end: w.end, ranking: ranked.map(([key, value], i) => ({ key, value, rank: i + 1 })) };
      })
      .sort(byStart),
  };
}

const sortedByWindow = (rs: unknown) => [...(rs as Array<{ start: number; end: number }>)].sort((a, b) => a.start - b.start || a.end - b.end);
const outputs = ['all-tumbling', 'all-sliding-max', 'all-topk', 'keyed-topk'] as const;

describe('windowAll and topK per window on worker threads', () => {
  const dir = tempDirsPerTest();

  for (const mode of ['continuous', 'micro-batch'] as const) {
    it(`${mode}: windowAll aggregate, reduce and topK, and keyed sliding topK = brute force; nothing late`, async () => {
      const count = 20_000;
      const result = await (await run(jobUrl('window-all'), { mode, parallelism: 2, workDir: dir(), params: { count: String(count) }, microBatchIntervalMs: 20 })).done;
      const want = expected(input(job.sourceOptions(count)));
      expect(want['all-topk'].length).toBeGreaterThan(100);
      // Ties exist, so the tie-break is exercised: in some windows two ranked records share a value.
      expect(want['all-topk'].some((w) => new Set(w.ranking.map((e) => e.value.value)).size < w.ranking.length)).toBe(true);
      for (const name of outputs) expect(sortedByWindow(result.results[name]), name).toEqual(want[name]);
      expect(result.results.late).toEqual([]);
      // Each worker's shard has its windows on that worker: both fire their partials.
      for (const name of ['all-tumbling:partial', 'all-sliding-max:partial', 'all-topk:partial']) {
        const partials = result.metrics.operators.find((o) => o.name === name);
        expect(partials?.perWorker.map((w) => w.recordsOut > 0), name).toEqual([true, true]);
      }
    });
  }

  it('a shard\'s key is owned by its own worker, whatever the parallelism and key groups', () => {
    for (const keyGroups of [2, 7, 128, 4096]) {
      for (let parallelism = 1; parallelism <= Math.min(keyGroups, 16); parallelism++) {
        for (let subtask = 0; subtask < parallelism; subtask++) {
          const key = shardKeyOf({ subtask, parallelism, keyGroups });
          expect(workerOfKeyGroup(keyGroupOf(key, keyGroups), keyGroups, parallelism)).toBe(subtask);
        }
      }
    }
  });

  it('through a failure: recovers from a checkpoint, and the exactly-once output equals brute force', async () => {
    const count = 20_000;
    const [out, markers] = [dir(), dir()];
    const handle = await run(jobUrl('window-all'), {
      parallelism: 2,
      workDir: dir(),
      params: { count: String(count), rate: '2000', markers, out },
      restartStrategy: { kind: 'fixed-delay', attempts: 1, delayMs: 100 },
    });
    // The failure comes once a checkpoint has completed, so that there is one to recover from (a
    // job that ends first, failed or not, ends the wait with its outcome).
    await Promise.race([
      expect.poll(() => handle.metrics().checkpoints?.completed ?? 0, { timeout: waitLimitMs, interval: 50 }).toBeGreaterThan(0),
      handle.done.then(() => {
        throw new Error('the job ended before a checkpoint completed');
      }),
    ]);
    writeFileSync(join(markers, 'fail-now'), '');
    const result = await handle.done;
    expect(result.metrics.restarts).toHaveLength(1);
    expect(result.metrics.restarts![0].restoredFromId).toBeGreaterThan(0);
    const want = expected(input(job.sourceOptions(count)));
    for (const name of outputs) {
      const got = readCommittedLines(out, { prefix: name }).map((line) => JSON.parse(line));
      expect(sortedByWindow(got), name).toEqual(want[name]);
    }
    expect(readCommittedLines(out, { prefix: 'late' })).toEqual([]);
  });
});

describe('windowAll with allowed lateness on worker threads', () => {
  const dir = tempDirsPerTest();
  for (const mode of ['continuous', 'micro-batch'] as const) {
    it(`${mode}: a late record within the lateness fires the window again; later ones go to the side output`, async () => {
      const result = await (await run(jobUrl('window-all-lateness'), { mode, parallelism: 2, workDir: dir(), microBatchIntervalMs: 20 })).done;
      const fired = (result.results.fired as Array<{ start: number; ids: string[] }>).map((f) => `${f.start}:${f.ids.join(',')}`);
      expect(fired).toEqual([
        '1000:a1000,a1500,b1000,b1500',
        '1000:a1000,a1200,a1500,b1000,b1500',
        '1000:a1000,a1200,a1500,b1000,b1200,b1500',
        '2000:a2500,b2500',
        '5000:a5000,b5000',
      ]);
      expect((result.results.late as Array<{ id: string }>).map((r) => r.id).sort()).toEqual(['a1300', 'a2600', 'b1300', 'b2600']);
    });
  }
});
