// What a user's function returns where weir did not look, tried from plain JavaScript jobs:
//  - a flatMap that returns its records (Array#flatMap's way) instead of collecting them emitted
//    nothing, without a word; now they are emitted, and a return that is not a list of records (an
//    object meant as the one record, a string) fails the record, naming the operator;
//  - a sink writer whose write is async (or returns a Promise) was not awaited: a write that failed
//    later lost its record while the job succeeded. Now the job fails when the sink opens (an async
//    function) or at the first record (a Promise returned), saying to do the I/O in flush.
import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/connectors/index.ts';
import { run } from '../../src/runtime/index.ts';
import { expectWeirError, tempDirsPerTest, writeJobModule } from '../helpers.ts';

const newDir = tempDirsPerTest('weir-returned-');
const weir = new URL('../../src/index.ts', import.meta.url).href;

/** A job over 5 records { seq, words }: `body` takes `events` and ends in a sink. */
function jobFile(body: string): string {
  return writeJobModule(
    newDir(),
    `import { defineJob, generator, collect } from '${weir}';
const failingDb = (write) => ({ kind: 'db', name: 'db', open() { return { write, flush() {}, close() {}, result: () => [] }; } });
export default defineJob((env) => {
  const events = env.source(generator({ partitions: 1, count: 5, keys: 1 })).map((e) => ({ seq: e.seq, words: 'a b c' }), { name: 'lines' });
  ${body};
});
`,
  );
}

describe('a flatMap function that returns its records', () => {
  it('returned as an array, or another iterable, they are emitted as collected ones are', async () => {
    for (const fn of ["(r) => r.words.split(' ').map((w) => ({ seq: r.seq, w }))", "function* (r) { for (const w of r.words.split(' ')) yield { seq: r.seq, w }; }"]) {
      const result = await (await run(jobFile(`events.flatMap(${fn}, { name: 'words' }).sinkTo(collect('out'))`), { workDir: newDir() })).done;
      expect(result.results.out).toHaveLength(15);
      expect((result.results.out as Array<{ seq: number; w: string }>).filter((r) => r.seq === 0).map((r) => r.w)).toEqual(['a', 'b', 'c']);
    }
  });

  it('a function that collects is not looked at for what it returns', async () => {
    const body = "events.flatMap((r, out) => r.words.split(' ').map((w) => out.collect({ seq: r.seq, w })), { name: 'words' }).sinkTo(collect('out'))";
    const result = await (await run(jobFile(body), { workDir: newDir() })).done;
    expect(result.results.out).toHaveLength(15); // not 30: the array of undefineds it returns is not emitted
  });

  for (const [what, fn, returned] of [
    ['an object', '(r) => ({ ...r, n: 1 })', 'an object'],
    ['a string', '(r) => r.words', 'a string'],
    ['a number', '(r) => r.seq', 'a number'],
  ]) {
    it(`returning ${what} fails the record, naming the operator; with dead letters it goes there`, async () => {
      const err = await expectWeirError((await run(jobFile(`events.flatMap(${fn}, { name: 'words' }).sinkTo(collect('out'))`), { workDir: newDir() })).done, 'WEIR_USER_FUNCTION');
      expect(err.message).toContain(`operator "words" threw on the record from source partition 0 at offset`);
      expect(err.message).toContain(`the flatMap function returned ${returned}: return an array (or another iterable) of records, or call out.collect(record) for each`);
      const result = await (await run(jobFile(`env.deadLetterTo(collect('dlq')); events.flatMap(${fn}, { name: 'words', onError: 'dead-letter' }).sinkTo(collect('out'))`), { workDir: newDir() })).done;
      expect((result.results.dlq as DeadLetter[]).map((d) => d.source)).toEqual(['words', 'words', 'words', 'words', 'words']);
      expect(result.results.out).toEqual([]);
    });
  }
});

describe('a sink writer whose write is async', () => {
  it('an async write fails the job when the sink opens, before any record is lost', async () => {
    const body = "events.sinkTo(failingDb(async (v) => { throw new Error('db down'); }))";
    const err = await expectWeirError((await run(jobFile(body), { workDir: newDir() })).done, 'WEIR_ASYNC_FUNCTION');
    expect(err.message).toMatch(/^sink "db": its writer's write is an async function\. .* keep the records in write and send them in flush, which weir awaits$/);
  });

  it('a write that returns a Promise fails the job at the first record, naming it', async () => {
    const body = "events.sinkTo(failingDb((v) => Promise.reject(new Error('db down'))))";
    const err = await expectWeirError((await run(jobFile(body), { workDir: newDir() })).done, 'WEIR_ASYNC_FUNCTION');
    expect(err.message).toContain('sink "db": its writer\'s write returned a Promise for the record from source partition 0 at offset');
  });

  it('the dead-letter output is held to the same rule', async () => {
    const body = "env.deadLetterTo(failingDb(async () => {})); events.map((r) => { throw new Error('bad'); }, { onError: 'dead-letter' }).sinkTo(collect('out'))";
    await expectWeirError((await run(jobFile(body), { workDir: newDir() })).done, 'WEIR_ASYNC_FUNCTION', /^sink "db": its writer's write is an async function/);
  });
});
