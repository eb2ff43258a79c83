// Options nobody reads are refused, naming the option and the closest known one: in plain
// JavaScript a misspelt option (`paralellism`, `files` for `path`, `combiner`) would otherwise be
// dropped without a word (job modules written to a temp dir and given to run()).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/runtime/index.ts';
import { tempDirsPerTest } from '../helpers.ts';

const weir = new URL('../../src/index.ts', import.meta.url).href;

function jobFile(dir: string, body: string, settings = ''): string {
  const file = join(dir, 'job.mjs');
  writeFileSync(
    file,
    `import { defineJob, generator, jsonLinesSource, fileSink, transactionalFileSink, collect, TumblingEventTimeWindows } from '${weir}';
export default defineJob((env) => {
  const events = env.source(generator({ partitions: 2, count: 20 }));
  ${body};
}${settings});
`,
  );
  return file;
}

describe('unknown options', () => {
  const dir = tempDirsPerTest('weir-options-');
  const definitions: Array<[string, string, string, RegExp]> = [
    ['a keyBy option', "events.keyBy((e) => e.key, { combiner: (a) => a }).process((e, ctx) => ctx.emit(e)).sinkTo(collect('out'))", 'WEIR_JOB_DEFINITION', /^keyBy: unknown option "combiner" \(did you mean "combine"\?\); the options are name, uid, onError, codec, combine, combineDelayMs$/],
    ['a map option', "events.map((e) => e, { nmae: 'm' }).sinkTo(collect('out'))", 'WEIR_JOB_DEFINITION', /^map: unknown option "nmae" \(did you mean "name"\?\)/],
    ['a window option', "events.keyBy((e) => e.key).window(TumblingEventTimeWindows.of(100)).reduce((a, b) => b, undefined, { onerror: 'dead-letter' }).sinkTo(collect('out'))", 'WEIR_JOB_DEFINITION', /^window reduce: unknown option "onerror" \(did you mean "onError"\?\)/],
    ['a topN option', "events.keyBy((e) => e.key).topN(3, (e) => e.value, { aggregation: {} }).sinkTo(collect('out'))", 'WEIR_JOB_DEFINITION', /^topN: unknown option "aggregation"; the options are name, uid, onError, aggregate$/],
    ['a source option', "env.source(generator({ partitions: 1 }), { watermark: null }).sinkTo(collect('out'))", 'WEIR_JOB_DEFINITION', /^source: unknown option "watermark" \(did you mean "watermarks"\?\)/],
    ['an onError weir does not know', "events.map((e) => e, { onError: 'ignore' }).sinkTo(collect('out'))", 'WEIR_JOB_DEFINITION', /^onError must be 'fail' or 'dead-letter', not "ignore"$/],
    ['a generator option', "env.source(generator({ partitons: 3 })).sinkTo(collect('out'))", 'WEIR_CONFIG', /^generator: unknown option "partitons" \(did you mean "partitions"\?\)/],
    ['a jsonLinesSource option', "env.source(jsonLinesSource({ files: ['a.jsonl'] })).sinkTo(collect('out'))", 'WEIR_CONFIG', /^jsonLinesSource: unknown option "files"; the options are path, timestamp, maxLineBytes$/],
    ['a fileSink option', "events.sinkTo(fileSink({ path: 'out.txt', fsnyc: true }))", 'WEIR_CONFIG', /^fileSink: unknown option "fsnyc" \(did you mean "fsync"\?\)/],
    ['a transactionalFileSink option', "events.sinkTo(transactionalFileSink({ directory: 'out' }))", 'WEIR_CONFIG', /^transactionalFileSink: unknown option "directory"/],
  ];
  for (const [what, body, code, message] of definitions) {
    it(`${what} is refused when the job is defined`, async () => {
      await expect(run(jobFile(dir(), body), { workDir: dir() })).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    });
  }

  it('a run option and a defineJob setting are refused before anything starts', async () => {
    const file = jobFile(dir(), "events.sinkTo(collect('out'))");
    await expect(run(file, { workDir: dir(), paralellism: 2 } as never)).rejects.toMatchObject({ code: 'WEIR_CONFIG', message: expect.stringMatching(/^run options: unknown option "paralellism" \(did you mean "parallelism"\?\)/) });
    const withSetting = jobFile(dir(), "events.sinkTo(collect('out'))", ", { name: 'x', checkpointInterval: 100 }");
    await expect(run(withSetting, { workDir: dir() })).rejects.toMatchObject({ code: 'WEIR_JOB_DEFINITION', message: expect.stringMatching(/^defineJob settings: unknown option "checkpointInterval" \(did you mean "checkpointIntervalMs"\?\)/) });
  });

  it('the same job with the options spelt right runs', async () => {
    const file = jobFile(dir(), "events.map((e) => e, { name: 'm' }).keyBy((e) => e.key, { combine: (a) => a }).process((e, ctx) => ctx.emit(e)).sinkTo(collect('out'))");
    const result = await (await run(file, { workDir: dir(), parallelism: 2 })).done;
    expect((result.results.out as unknown[]).length).toBeGreaterThan(0);
  });
});
