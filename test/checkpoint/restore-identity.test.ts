// A state dir holding another job's checkpoints: a job resumes only from its own (same name, and
// no state of operators it lacks), unless allowNonRestoredState drops what no operator takes over.
// Real threads, real LMDB, real state dirs.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { generator } from '../../src/connectors/index.ts';
import { decodeMetadataFile, encodeMetadataFile } from '../../src/checkpoint/metadata-file.ts';
import { run, type RunOptions } from '../../src/runtime/index.ts';
import { expectWeirError, jobUrl, readAll, tempDirsPerTest } from '../helpers.ts';

const newDir = tempDirsPerTest('weir-identity-');

async function runTotals(stateDir: string, count: number, options: RunOptions & { op?: string } = {}) {
  const { op, ...rest } = options;
  const handle = await run(jobUrl('keyed-totals'), { workDir: newDir(), stateDir, checkpointIntervalMs: 20, ...rest, params: { count: String(count), ...(op ? { op } : {}) } });
  const result = await handle.done;
  return { result, out: (result.results.out as string[]).slice().sort() };
}

/** Records per key of the generator's partitions' records [from, to) (as keyed-totals generates them). */
async function keyCounts(count: number, fromPerPartition: number): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const { value, offset } of await readAll(generator({ partitions: 2, count, keys: 20, seed: 5 }))) {
    if (offset >= fromPerPartition) counts.set(value.key, (counts.get(value.key) ?? 0) + 1);
  }
  return counts;
}

/** What keyed-totals emits for these keys: every total from `start + 1` to `start + count`. */
function totals(op: string, counts: Map<number, number>, starts = new Map<number, number>()): string[] {
  const lines: string[] = [];
  for (const [key, n] of counts) for (let i = 1; i <= n; i++) lines.push(`${op} ${key} ${(starts.get(key) ?? 0) + i}`);
  return lines.sort();
}

describe('restoring from another job\'s checkpoint', () => {
  test('a job of another name is refused, with both names; the same job resumes as before', async () => {
    const stateDir = newDir();
    const first = await runTotals(stateDir, 2_000, { name: 'job-a' });
    expect(first.out).toEqual(totals('totals', await keyCounts(2_000, 0)));

    const err = await expectWeirError(runTotals(stateDir, 4_000, { name: 'job-b' }), 'WEIR_CONFIG');
    expect(err.message).toMatch(/job "job-b" cannot resume from the checkpoint at .*chk-\d+ of job "job-a"/);
    expect(err.message).toMatch(/--allow-non-restored-state/);

    // The same job goes on from its checkpoint: sources where they were, totals from where they were.
    const again = await runTotals(stateDir, 4_000, { name: 'job-a' });
    expect(again.result.restoredFrom).toMatchObject({ job: 'job-a', dropped: [] });
    expect(again.result.restoredFrom!.id).toBeDefined();
    expect(again.out).toEqual(totals('totals', await keyCounts(4_000, 1_000), await keyCounts(2_000, 0)));
  });

  test('state of an operator the job lacks is refused; allowed, it is dropped and reported, and the sources go on', async () => {
    const stateDir = newDir();
    await runTotals(stateDir, 2_000, { name: 'job-a' });

    const err = await expectWeirError(runTotals(stateDir, 4_000, { name: 'job-a', op: 'sums' }), 'WEIR_CONFIG');
    expect(err.message).toMatch(/holds state of operators this job does not have: stateful operator "totals"/);

    const allowed = await runTotals(stateDir, 4_000, { name: 'job-a', op: 'sums', allowNonRestoredState: true });
    expect(allowed.result.restoredFrom).toMatchObject({ job: 'job-a', dropped: [{ kind: 'stateful operator', uid: 'totals' }] });
    // The source resumed at its checkpointed position (the second half), the new operator started empty.
    expect(allowed.out).toEqual(totals('sums', await keyCounts(4_000, 1_000)));

    // Its own checkpoints no longer hold the dropped state: the next run resumes without a word.
    const next = await runTotals(stateDir, 4_000, { name: 'job-a', op: 'sums' });
    expect(next.result.restoredFrom!.dropped).toEqual([]);
    expect(next.out).toEqual([]);
  });

  test('a job of another name resumes when allowed; checkpoints written before operators were recorded compare names and sources', async () => {
    const stateDir = newDir();
    await runTotals(stateDir, 2_000, { name: 'job-a' });
    const allowed = await runTotals(stateDir, 4_000, { name: 'job-b', allowNonRestoredState: true });
    expect(allowed.result.restoredFrom).toMatchObject({ job: 'job-a', dropped: [] });
    expect(allowed.out).toEqual(totals('totals', await keyCounts(4_000, 1_000), await keyCounts(2_000, 0)));

    // Make the newest checkpoint look like an older one: no operator list in its metadata.
    const checkpoints = join(stateDir, 'checkpoints');
    const newest = readdirSync(checkpoints).filter((d) => d.startsWith('chk-')).sort().at(-1)!;
    const decoded = decodeMetadataFile(readFileSync(join(checkpoints, newest, '_metadata')));
    if (!decoded.ok) throw new Error(decoded.reason);
    expect(decoded.value.operators).toEqual({ sources: ['events'], stateful: ['totals'] });
    const { operators: _, ...older } = decoded.value;
    writeFileSync(join(checkpoints, newest, '_metadata'), encodeMetadataFile(older));

    const err = await expectWeirError(runTotals(stateDir, 4_000, { name: 'job-c' }), 'WEIR_CONFIG');
    expect(err.message).toMatch(/of job "job-b" \(it predates the recording of stateful operators: only the name and the sources were compared\)/);
    const same = await runTotals(stateDir, 4_000, { name: 'job-b' });
    expect(same.result.restoredFrom).toMatchObject({ id: decoded.value.id, job: 'job-b', dropped: [] });
    expect(same.out).toEqual([]);
  });
});
