// Functions whose result weir keeps as what was folded so far — a reduce, an aggregate's add and
// createAccumulator, a keyBy's combine, a reducing state's reduce — may not return undefined: weir
// reads undefined there as "nothing yet", so the records folded before would be dropped without a
// word (Flink fails on a null). Each is tried from a plain JavaScript job, where no type checker
// stops the mistake: the job fails naming the operator and the record, or with onError
// 'dead-letter' the record goes to the dead letters with the reason. A window function argument
// that is not one (options in its place) is refused when the job is defined, not when the first
// window fires.
import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/connectors/index.ts';
import { run } from '../../src/runtime/index.ts';
import { expectWeirError, tempDirsPerTest, writeJobModule } from '../helpers.ts';

const newDir = tempDirsPerTest('weir-folded-');
const weir = new URL('../../src/index.ts', import.meta.url).href;

/** A job over 12 records of one key, event time 0…11 ms: `body` takes `events` and returns the stream to collect. */
function jobFile(body: string): string {
  return writeJobModule(
    newDir(),
    `import { defineJob, generator, collect, WatermarkStrategy, TumblingEventTimeWindows } from '${weir}';
export default defineJob((env) => {
  env.deadLetterTo(collect('dlq'));
  const events = env
    .source(generator({ partitions: 1, count: 12, keys: 1, eventTimeStepMs: 1 }), { watermarks: WatermarkStrategy.monotonousTimestamps() })
    .map((e) => ({ key: e.key, seq: e.seq, n: 1 }), { name: 'one' });
  const out = ${body};
  out.sinkTo(collect('out'));
});
`,
  );
}

const undefinedOnThird = '(a, b) => (b.seq === 2 ? undefined : { key: a.key, seq: b.seq, n: a.n + b.n })';
const folds: Array<[string, string, string, string]> = [
  ['a window reduce', `events.keyBy((e) => e.key).window(TumblingEventTimeWindows.of(1000)).reduce(${undefinedOnThird}, undefined, { name: 'summed', onError: ON_ERROR })`, 'summed', 'the reduce function returned undefined'],
  ['a window aggregate add', "events.keyBy((e) => e.key).window(TumblingEventTimeWindows.of(1000)).aggregate({ createAccumulator: () => 0, add: (e, n) => (e.seq === 2 ? undefined : n + 1), getResult: (n) => n }, undefined, { name: 'counted', onError: ON_ERROR })", 'counted', 'the aggregate add function returned undefined'],
  ['a window aggregate createAccumulator', "events.keyBy((e) => e.key).window(TumblingEventTimeWindows.of(1000)).aggregate({ createAccumulator: () => undefined, add: (e, n) => n + 1, getResult: (n) => n }, undefined, { name: 'counted', onError: ON_ERROR })", 'counted', 'the createAccumulator function returned undefined'],
  ['a running reduce', `events.keyBy((e) => e.key).reduce(${undefinedOnThird}, { name: 'running', onError: ON_ERROR })`, 'running', 'the reduce function returned undefined'],
  ['a keyBy combine', `events.keyBy((e) => e.key, { name: 'by-key', combine: ${undefinedOnThird}, combineDelayMs: 60000, onError: ON_ERROR }).reduce((a, b) => ({ key: a.key, seq: b.seq, n: a.n + b.n }))`, 'by-key', 'the combine function returned undefined'],
  ['a reducing state', `events.keyBy((e) => e.key).process((e, ctx) => { const s = ctx.reducingState('total', ${undefinedOnThird}); s.add(e); ctx.emit(s.get()); }, { name: 'with-state', onError: ON_ERROR })`, 'with-state', "the reducing state's reduce function returned undefined"],
];

describe('a fold that returns undefined', () => {
  for (const [what, body, operator, reason] of folds) {
    it(`${what}: fails the job naming the operator and the record`, async () => {
      const err = await expectWeirError((await run(jobFile(body.replace('ON_ERROR', "'fail'")), { workDir: newDir() })).done, 'WEIR_USER_FUNCTION');
      expect(err.operator).toBe(operator);
      expect(err.message).toContain(`operator "${operator}" threw on the record from source partition 0 at offset`);
      expect(err.message).toContain(`${reason}; it must return what it folded`);
    });

    it(`${what}: with onError 'dead-letter', goes to the dead letters with the reason`, async () => {
      const result = await (await run(jobFile(body.replace('ON_ERROR', "'dead-letter'")), { workDir: newDir() })).done;
      const dlq = result.results.dlq as DeadLetter[];
      expect(dlq.length).toBeGreaterThan(0);
      for (const d of dlq) {
        expect(d.source).toBe(operator);
        expect(d.reason).toContain(reason);
      }
    });
  }

  it('a window reduce that returns a value keeps every record (the same job, no mistake)', async () => {
    const result = await (await run(jobFile("events.keyBy((e) => e.key).window(TumblingEventTimeWindows.of(1000)).reduce((a, b) => ({ key: a.key, seq: b.seq, n: a.n + b.n }), undefined, { name: 'summed' })"), { workDir: newDir() })).done;
    expect(result.results.out).toEqual([{ key: 0, seq: 11, n: 12 }]);
    expect(result.results.dlq).toEqual([]);
  });
});

describe('options where the window function goes', () => {
  const refused: Array<[string, string, RegExp]> = [
    ["window reduce(fn, { name })", "events.keyBy((e) => e.key).window(TumblingEventTimeWindows.of(1000)).reduce((a, b) => a, { name: 'summed' })", /operator "TumblingEventTimeWindows\(1000\)\.reduce": the window function of reduce must be a function or an object with process\(\), not object; options go after it: reduce\(…, undefined, \{"name":"summed"\}\)/],
    ["window aggregate(agg, { name })", "events.keyBy((e) => e.key).window(TumblingEventTimeWindows.of(1000)).aggregate({ createAccumulator: () => 0, add: (e, n) => n + 1, getResult: (n) => n }, { name: 'counted' })", /the window function of aggregate must be a function or an object with process\(\), not object; options go after it/],
    ['window process(an object without process)', "events.keyBy((e) => e.key).window(TumblingEventTimeWindows.of(1000)).process({ apply: () => {} })", /the window function of process must be a function or an object with process\(\), not object$/],
    ["windowAll reduce(fn, { name })", "events.windowAll(TumblingEventTimeWindows.of(1000)).reduce((a, b) => a, { name: 'summed' })", /the window function of reduce must be a function, not object; options go after it: reduce\(…, undefined, \{"name":"summed"\}\)/],
  ];
  for (const [what, body, message] of refused) {
    it(`${what} is refused when the job is defined`, async () => {
      await expect(run(jobFile(body), { workDir: newDir() })).rejects.toMatchObject({ code: 'WEIR_JOB_DEFINITION', message: expect.stringMatching(message) });
    });
  }
});
