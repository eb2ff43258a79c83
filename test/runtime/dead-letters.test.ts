// Dead letters and at-least-once output are never dropped: not when the job fails, not across
// restarts or reruns; with a transactional dead-letter sink, each dead letter is committed once.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { run } from '../../src/runtime/index.ts';
import { expectWeirError, jobUrl, tempDir } from '../helpers.ts';

const dirs: Array<{ remove(): void }> = [];
afterEach(() => dirs.splice(0).forEach((d) => d.remove()));
function newDir(): string {
  const dir = tempDir('weir-dead-letters-');
  dirs.push(dir);
  return dir.path;
}

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
  }, 60_000);
});
