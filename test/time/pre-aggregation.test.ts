// Pre-aggregation on real worker threads (src/runtime/worker/pre-aggregator.ts): a window
// aggregate's keyBy folds each key's records per pane before the exchange. The results must be the
// definition's, whatever the mode, the backend, late records, a failing aggregate or a restart.
import { describe, expect, it } from 'vitest';
import { run } from '../../src/runtime/index.ts';
import { generatedEvent, generatorPartitionCount, type DeadLetter, type GeneratorOptions } from '../../src/connectors/index.ts';
import { expectWeirError, jobUrl, runFailingOnce, tempDirsPerTest } from '../helpers.ts';
import * as job from '../jobs/pre-aggregated-windows.ts';
import { bruteForceWindows, slidingOf, tumblingOf, windowResultOrder, type WindowResult } from './brute-force.ts';

const newDir = tempDirsPerTest('weir-pre-aggregation-');
const count = 20_000;

function input(opts: GeneratorOptions): job.TimedSeq[] {
  const all: job.TimedSeq[] = [];
  for (let p = 0; p < (opts.partitions ?? 2); p++) {
    for (let i = 0; i < generatorPartitionCount(opts, p); i++) {
      const e = generatedEvent(opts, p, i);
      all.push({ key: e.key, ts: e.ts, value: Math.floor(e.value), seq: e.seq });
    }
  }
  return all;
}

const records = input(job.sourceOptions(count));
const tumbling = bruteForceWindows(records, tumblingOf(job.tumblingMs));
const slidingMax = (() => {
  const best = new Map<string, job.SlidingMax>();
  for (const r of records) {
    for (const [start] of slidingOf(job.sliding.sizeMs, job.sliding.slideMs)(r.ts)) {
      const id = `${r.key}/${start}`;
      const m = best.get(id);
      if (m === undefined || r.value > m.max || (r.value === m.max && r.seq < m.seq)) best.set(id, { key: r.key, start, max: r.value, seq: r.seq });
    }
  }
  return [...best.values()].sort(slidingOrder);
})();

function slidingOrder(a: job.SlidingMax, b: job.SlidingMax): number {
  return a.key - b.key || a.start - b.start;
}

const sorted = (rs: WindowResult[]) => [...rs].sort(windowResultOrder);
const modes = [
  { mode: 'continuous' as const, stateBackend: 'heap' as const },
  { mode: 'micro-batch' as const, stateBackend: 'lmdb' as const, microBatchIntervalMs: 20 },
];

for (const settings of modes) {
  describe(`pre-aggregated windows (${settings.mode}, ${settings.stateBackend})`, () => {
    it('a tumbling aggregate and a sliding reduce = the definition, with pre-aggregation on and off; on, the keyBy sends a fraction of what it reads', async () => {
      for (const preAggregate of [true, false]) {
        const result = await (await run(jobUrl('pre-aggregated-windows'), { ...settings, parallelism: 2, params: { count: String(count), preAggregate: String(preAggregate) } })).done;
        expect(sorted(result.results.tumbling as WindowResult[])).toEqual(tumbling);
        expect(result.results.late).toEqual([]);
        expect([...(result.results['sliding-max'] as job.SlidingMax[])].sort(slidingOrder)).toEqual(slidingMax);
        const ops = Object.fromEntries(result.metrics.operators.map((o) => [o.name, o]));
        for (const keyBy of ['tumbling-by-key', 'sliding-by-key']) {
          expect(ops[keyBy].recordsIn).toBe(count);
          // Out: what crossed (and reached the window operator). 250 records of 40 skewed keys per partition and 500 ms pane.
          if (preAggregate) expect(ops[keyBy].recordsOut).toBeLessThan(count / 5);
          else expect(ops[keyBy].recordsOut).toBe(count);
        }
      }
    });

    it('records late for their window reach the late output as themselves: per window, its count and its late records add up to the definition', async () => {
      // Watermarks 20 ms behind the newest record, where records come up to 300 ms out of order.
      const result = await (await run(jobUrl('pre-aggregated-windows'), { ...settings, parallelism: 2, params: { count: String(count), watermarkMs: '20' } })).done;
      const late = result.results.late as job.TimedSeq[];
      expect(late.length).toBeGreaterThan(0);
      const inputs = new Set(records.map((r) => JSON.stringify(r)));
      for (const r of late) expect(inputs.has(JSON.stringify(r))).toBe(true);
      expect(new Set(late.map((r) => JSON.stringify(r))).size).toBe(late.length);

      const counted = new Map<string, number>();
      for (const w of result.results.tumbling as WindowResult[]) counted.set(`${w.key}/${w.start}`, w.count);
      for (const r of late) {
        const id = `${r.key}/${tumblingOf(job.tumblingMs)(r.ts)[0][0]}`;
        counted.set(id, (counted.get(id) ?? 0) + 1);
      }
      expect([...counted.entries()].sort()).toEqual(tumbling.map((w) => [`${w.key}/${w.start}`, w.count] as [string, number]).sort());
    });
  });
}

describe('pre-aggregated windows: failures', () => {
  it("the aggregate failing on the sending side dead-letters the record under the window operator's name and the record's place; the rest is counted", async () => {
    const badValue = 500;
    const bad = records.filter((r) => r.value === badValue);
    expect(bad.length).toBeGreaterThan(0);
    const result = await (await run(jobUrl('pre-aggregated-windows'), { parallelism: 2, onError: 'dead-letter', params: { count: String(count), badValue: String(badValue) } })).done;
    const dlq = result.results.dlq as DeadLetter[];
    expect(dlq).toHaveLength(bad.length);
    for (const d of dlq) {
      expect(d.source).toBe('tumbling-window');
      expect(d.reason).toMatch(/^operator "tumbling-window" threw on the record from source partition [01] at offset \d+: bad value 500$/);
      expect(JSON.parse(d.raw)).toMatchObject({ value: badValue });
      expect(d.stack).toContain('RangeError: bad value 500');
    }
    expect(dlq.map((d) => JSON.parse(d.raw).seq).sort((a, b) => a - b)).toEqual(bad.map((r) => r.seq).sort((a, b) => a - b));
    const counted = (result.results.tumbling as WindowResult[]).reduce((n, w) => n + w.count, 0);
    expect(counted).toBe(count - bad.length);
  });

  it('without dead letters the failing aggregate fails the job, naming the window operator and the record', async () => {
    const err = await expectWeirError((await run(jobUrl('pre-aggregated-windows'), { parallelism: 2, params: { count: String(count), badValue: '500' } })).done, 'WEIR_USER_FUNCTION');
    expect(err.operator).toBe('tumbling-window');
    expect(err.message).toMatch(/operator "tumbling-window" threw on the record from source partition [01] at offset \d+: bad value 500/);
  });

  for (const settings of modes) {
    it(`${settings.mode}: a failure while partials are held restarts from the last checkpoint and the committed output is exactly the definition`, async () => {
      const read = await runFailingOnce(jobUrl('pre-aggregated-windows'), settings, newDir(), { count: String(count), rate: '20000' });
      expect(sorted(read<WindowResult>('tumbling'))).toEqual(tumbling);
      expect(read('late')).toEqual([]);
      expect(read<job.SlidingMax>('sliding-max').sort(slidingOrder)).toEqual(slidingMax);
    });
  }
});

describe('windows whose contents grow with their records', () => {
  const total = async (params: Record<string, string>) => {
    const result = await (await run(jobUrl('growing-windows'), { workDir: newDir(), params: { count: '6000', ...params } })).done;
    return (result.results.sizes as number[]).reduce((a, b) => a + b, 0);
  };

  it('a partial that outgrows the exchange fails naming the window and how to turn pre-aggregation off; off, the records cross as themselves', async () => {
    const err = await expectWeirError(total({ gather: 'aggregate' }), 'WEIR_RECORD_TOO_LARGE', /a partial aggregate of window "gathered".*\.preAggregate\(false\)/);
    expect(err.operator).toBe('by-key');
    expect(await total({ gather: 'aggregate', preAggregate: 'off' })).toBe(6000);
  });

  it('distinct and full-window functions are not pre-aggregated: every record of a busy window arrives', async () => {
    expect(await total({ gather: 'distinct' })).toBe(3000); // seq counts per partition: 3 000 distinct values
    expect(await total({ gather: 'process' })).toBe(6000);
  });
});
