// keyBy's combine on real worker threads (src/runtime/worker/combiner.ts): each worker folds the
// records of a key it sends within a batch into one before the exchange. Whatever the mode, the
// backend, the batch length, a failing combine or a restart, the running totals must end at the
// definition's, no record may reach the reader behind its watermark, and fewer records cross.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedEvent, generatorPartitionCount, type DeadLetter, type GeneratedEvent } from '../../src/connectors/index.ts';
import { run } from '../../src/runtime/index.ts';
import { expectWeirError, jobUrl, runFailingOnce, tempDirsPerTest } from '../helpers.ts';
import { bySeq, type Late, type Totals } from '../jobs/combined-totals.ts';
import { sourceOptions } from '../jobs/pre-aggregated-windows.ts';

const newDir = tempDirsPerTest('weir-combine-');
const weir = new URL('../../src/index.ts', import.meta.url).href;
const count = 20_000;

/** Per key: how many records and the sum of their values, over the whole input. */
function totalsOf(keyOf: (e: GeneratedEvent) => number, records = count) {
  const opts = sourceOptions(records);
  const totals = new Map<number, { n: number; sum: number }>();
  for (let p = 0; p < 2; p++) {
    for (let i = 0; i < generatorPartitionCount(opts, p); i++) {
      const e = generatedEvent(opts, p, i);
      const key = keyOf(e);
      const t = totals.get(key) ?? { n: 0, sum: 0 };
      totals.set(key, { n: t.n + 1, sum: t.sum + Math.floor(e.value) });
    }
  }
  return [...totals.entries()].map(([key, t]) => ({ key, ...t })).sort((a, b) => a.key - b.key);
}
const expected = totalsOf((e) => e.key);

/** Each key's last running total (its counts only grow). */
function finals(rows: Totals[]): Array<{ key: number; n: number; sum: number }> {
  const last = new Map<number, Totals>();
  for (const r of rows) if ((last.get(r.key)?.n ?? 0) < r.n) last.set(r.key, r);
  return [...last.values()].map(({ key, n, sum }) => ({ key, n, sum })).sort((a, b) => a.key - b.key);
}

const modes = [
  { mode: 'continuous' as const, stateBackend: 'heap' as const },
  { mode: 'micro-batch' as const, stateBackend: 'lmdb' as const, microBatchIntervalMs: 20 },
];

for (const settings of modes) {
  describe(`keyBy combine (${settings.mode}, ${settings.stateBackend})`, () => {
    it('running totals end at the definition with combine on and off; on, a fraction of the records cross, none behind its watermark', async () => {
      for (const combine of [true, false]) {
        const result = await (await run(jobUrl('combined-totals'), { ...settings, workDir: newDir(), parallelism: 2, params: { count: String(count), combine: String(combine) } })).done;
        const rows = result.results.totals as Totals[];
        expect(finals(rows)).toEqual(expected);
        expect(result.results.late as Late[]).toEqual([]);
        const byKey = result.metrics.operators.find((o) => o.name === 'by-key')!;
        expect(byKey.recordsIn).toBe(count);
        if (combine) expect(byKey.recordsOut).toBeLessThan(count / 5);
        else expect(byKey.recordsOut).toBe(count);
        expect(rows.length).toBe(byKey.recordsOut); // one running total per record that crossed
      }
    });

    it('batches that end with every worker round (combineDelayMs 0) and records that trickle in give the same totals, none late', async () => {
      for (const params of [{ delayMs: '0' }, { rate: '40000', delayMs: '30' }] as Array<Record<string, string>>) {
        const result = await (await run(jobUrl('combined-totals'), { ...settings, workDir: newDir(), parallelism: 2, params: { count: String(count), ...params } })).done;
        expect(finals(result.results.totals as Totals[])).toEqual(expected);
        expect(result.results.late as Late[]).toEqual([]);
      }
    });

    it('keys that nearly never repeat: combining stops paying, the records cross as themselves, and the totals are still the definition', async () => {
      // Enough records per worker for the check (limits.combineCheckRecords) to come.
      const records = 3 * count;
      const result = await (await run(jobUrl('combined-totals'), { ...settings, workDir: newDir(), parallelism: 2, params: { count: String(records), keys: 'seq' } })).done;
      expect(finals(result.results.totals as Totals[])).toEqual(totalsOf(bySeq, records));
      expect(result.results.late as Late[]).toEqual([]);
      const byKey = result.metrics.operators.find((o) => o.name === 'by-key')!;
      expect(byKey.recordsOut).toBeGreaterThan(records * 0.95);
    });

    it('a failure while records are held restarts from the last checkpoint and the committed totals are exactly the definition', async () => {
      const read = await runFailingOnce(jobUrl('combined-totals'), settings, newDir(), { count: String(count), rate: '20000' });
      expect(finals(read<Totals>('totals'))).toEqual(expected);
      expect(read('late')).toEqual([]);
    });
  });
}

describe('keyBy combine: failures and refusals', () => {
  const badValue = 500;

  it('combine throwing dead-letters the later record under the keyBy\'s name and its place; every other record is counted', async () => {
    const result = await (await run(jobUrl('combined-totals'), { parallelism: 2, onError: 'dead-letter', params: { count: String(count), badValue: String(badValue) } })).done;
    const dlq = result.results.dlq as DeadLetter[];
    expect(dlq.length).toBeGreaterThan(0);
    for (const d of dlq) {
      expect(d.source).toBe('by-key');
      expect(d.reason).toMatch(/^operator "by-key" threw on the record from source partition [01] at offset \d+: bad value 500$/);
      expect(JSON.parse(d.raw)).toMatchObject({ sum: badValue });
    }
    const counted = finals(result.results.totals as Totals[]).reduce((n, t) => n + t.n, 0);
    expect(counted + dlq.length).toBe(count);
  });

  it('without dead letters combine throwing fails the job, naming the keyBy and the record', async () => {
    const err = await expectWeirError((await run(jobUrl('combined-totals'), { parallelism: 2, params: { count: String(count), badValue: String(badValue) } })).done, 'WEIR_USER_FUNCTION');
    expect(err.operator).toBe('by-key');
    expect(err.message).toMatch(/operator "by-key" threw on the record from source partition [01] at offset \d+: bad value 500/);
  });

  const definitions: Array<[string, string, RegExp]> = [
    ['a combine that is not a function', "events.keyBy((e) => e.key, { combine: 'sum' })", /keyBy: combine must be a function/],
    ['a delay without combine', 'events.keyBy((e) => e.key, { combineDelayMs: 10 })', /keyBy: combineDelayMs without combine/],
    ['a delay out of range', 'events.keyBy((e) => e.key, { combine: sum, combineDelayMs: -1 })', /combineDelayMs must be an integer from 0 to 60000, not -1/],
    ['combine feeding a window', "events.keyBy((e) => e.key, { combine: sum, name: 'summed' }).window(TumblingEventTimeWindows.of(1000)).aggregate(count)", /keyBy "summed": combine cannot feed window/],
    ['combine feeding an interval join', "events.keyBy((e) => e.key, { combine: sum, name: 'summed' }).intervalJoin(events.keyBy((e) => e.key)).between(0, 10).process((a, b, ctx) => ctx.emit(a))", /keyBy "summed": combine cannot feed intervalJoin/],
  ];
  for (const [what, body, message] of definitions) {
    it(`${what} is refused when the job is defined`, async () => {
      const file = join(newDir(), 'job.ts');
      writeFileSync(
        file,
        `import { defineJob, generator, collect, WatermarkStrategy, TumblingEventTimeWindows } from '${weir}';
const count = { createAccumulator: () => 0, add: (_e, n) => n + 1, getResult: (n) => n, merge: (a, b) => a + b };
const sum = (a, b) => ({ ...b, value: a.value + b.value });
export default defineJob((env) => {
  const events = env.source(generator({ partitions: 1, count: 10 }), { watermarks: WatermarkStrategy.monotonousTimestamps() });
  ${body}.sinkTo(collect('out'));
});
`,
      );
      await expect(run(file, { workDir: newDir() })).rejects.toMatchObject({ code: 'WEIR_JOB_DEFINITION', message: expect.stringMatching(message) });
    });
  }
});
