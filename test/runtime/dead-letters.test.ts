// Dead letters and at-least-once output are never dropped: not when the job fails, not across
// restarts or reruns; with a transactional dead-letter sink, each dead letter is committed once.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readCommittedLines } from '../../src/connectors/index.ts';
import { run, type RunOptions } from '../../src/runtime/index.ts';
import { expectWeirError, jobUrl, tempDirsPerTest } from '../helpers.ts';

const newDir = tempDirsPerTest('weir-dead-letters-');

/** A JSON-lines file of `lines` lines: line n is {"id": n}, or malformed when bad(n). */
function writeInput(file: string, first: number, lines: number, bad: (n: number) => boolean): void {
  const text: string[] = [];
  for (let n = first; n < first + lines; n++) text.push(bad(n) ? `{broken ${n}` : JSON.stringify({ id: n }));
  writeFileSync(file, text.join('\n') + '\n');
}

function readLines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

describe('output accepted before a failure', () => {
  test('reaches the file sink and the dead-letter file before the job reports the failure', async () => {
    const workDir = newDir();
    const input = join(workDir, 'in.jsonl');
    const failAt = 4_899;
    // Bad lines all along, and densely just before the failing record: those are read in the same
    // poll as it, after any periodic flush.
    const bad = (n: number) => n % 61 === 0 || (n >= failAt - 30 && n < failAt && n % 2 === 0);
    writeInput(input, 1, 6_000, bad); // line n holds id n
    const out = join(workDir, 'out.jsonl');
    const handle = await run(jobUrl('dead-letters'), { workDir, parallelism: 1, params: { files: input, out, failAt: String(failAt) } });
    await expectWeirError(handle.done, 'WEIR_USER_FUNCTION', /record 4899 always fails/);
    // The sink is chained to the source (no exchange): every record the source read before the
    // failing one reached the sink, and each bad line the dead letters.
    const written = new Set(readLines(out).map((l) => (JSON.parse(l) as { id: number }).id));
    const deadLettered = new Set(readLines(join(workDir, 'dead-letters.jsonl')).map((l) => (JSON.parse(l) as { offset: number }).offset));
    let records = 0;
    let badLines = 0;
    for (let n = 1; n < failAt; n++) {
      if (bad(n)) {
        badLines++;
        expect(deadLettered.has(n), `dead letter of line ${n}`).toBe(true);
      } else {
        records++;
        expect(written.has(n), `record ${n}`).toBe(true);
      }
    }
    expect(records).toBeGreaterThan(4_000);
    expect(badLines).toBe(94);
    expect(written.has(failAt)).toBe(false);
  });
});

describe('dead letters across restarts and reruns', () => {
  const perFile = 40_000;
  const bad = (n: number) => n % 97 === 0;
  /** Two input files (a partition each): ids 1..40000 and 40001..80000, line n of a file = its n-th id. */
  function inputs(workDir: string): { files: string; expected: string[] } {
    const a = join(workDir, 'a.jsonl');
    const b = join(workDir, 'b.jsonl');
    writeInput(a, 1, perFile, bad);
    writeInput(b, perFile + 1, perFile, bad);
    const expected: string[] = [];
    for (let id = 1; id <= 2 * perFile; id++) if (bad(id)) expected.push(id <= perFile ? `0:${id}` : `1:${id - perFile}`);
    return { files: `${a},${b}`, expected: expected.sort() };
  }
  const where = (line: string) => {
    const d = JSON.parse(line) as { partition: number; offset: number };
    return `${d.partition}:${d.offset}`;
  };
  /**
   * Both injected faults fired (their markers are there), each restarting the job. They can fire in
   * one attempt when one partition runs far ahead of the other, so that attempt's restart counts both.
   */
  const expectBothFaultsFired = (markers: string, restarts: number) => {
    expect(readdirSync(markers).filter((f) => f.startsWith('fault-')).sort()).toEqual(['fault-0', 'fault-1']);
    expect(restarts).toBeGreaterThanOrEqual(1);
    expect(restarts).toBeLessThanOrEqual(2);
  };
  // Two failures, most often after checkpoints completed: the attempts after them resume from a checkpoint.
  const options = (workDir: string, files: string, params: Record<string, string> = {}): RunOptions => ({
    workDir,
    parallelism: 2,
    checkpointIntervalMs: 20,
    restartStrategy: { kind: 'fixed-delay', attempts: 5, delayMs: 10 },
    params: { files, faults: `10000,${perFile + 35_000}`, markers: workDir, ...params },
  });

  test('the default dead-letter file keeps every attempt\'s dead letters and the previous run\'s; the count is over every attempt', async () => {
    const workDir = newDir();
    const { files, expected } = inputs(workDir);
    const deadLetterLines = () =>
      readdirSync(workDir)
        .filter((f) => /^dead-letters-\d\.jsonl$/.test(f))
        .flatMap((f) => readLines(join(workDir, f)));
    const result = await (await run(jobUrl('dead-letters'), options(workDir, files))).done;
    expectBothFaultsFired(workDir, result.metrics.restarts!.length);
    // Whether an attempt resumed from a checkpoint or from the start depends on how fast the first
    // 10 000 records went (checkpoints every 20 ms): either way every dead letter is in the file.
    const lines = deadLetterLines();
    expect([...new Set(lines.map(where))].sort()).toEqual(expected); // every one at least once
    expect(result.metrics.deadLetters).toBe(lines.length); // counted over every attempt, as written

    // A rerun on the same work dir (it resumes at the end: nothing more to read) keeps them all.
    const rerun = await (await run(jobUrl('dead-letters'), options(workDir, files))).done;
    expect(rerun.metrics.deadLetters).toBe(0);
    expect(deadLetterLines()).toEqual(lines);
  });

  test('a transactional dead-letter sink commits each dead letter exactly once, with the checkpoints', async () => {
    const workDir = newDir();
    const { files, expected } = inputs(workDir);
    const dlq = join(workDir, 'dlq');
    const result = await (await run(jobUrl('dead-letters'), options(workDir, files, { dlq }))).done;
    expectBothFaultsFired(workDir, result.metrics.restarts!.length);
    const committed = readCommittedLines(dlq);
    expect(committed.map(where).sort()).toEqual(expected); // each exactly once
    expect(result.metrics.deadLetters).toBeGreaterThanOrEqual(expected.length); // replayed ones counted again
    const rerun = await (await run(jobUrl('dead-letters'), options(workDir, files, { dlq }))).done;
    expect(rerun.metrics.deadLetters).toBe(0);
    expect(readCommittedLines(dlq)).toEqual(committed);
  });
});
