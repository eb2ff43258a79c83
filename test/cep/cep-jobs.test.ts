// CEP on real worker threads (test/jobs/cep-patterns.ts): two patterns, in both execution modes and
// with both state backends, equal to brute force over the same readings; and through a failure
// and recovery from a checkpoint, where partial matches open at the checkpoint must survive.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileNfa } from '../../src/cep/nfa-compiler.ts';
import type { Pattern } from '../../src/cep/pattern.ts';
import { readCommittedLines } from '../../src/connectors/index.ts';
import { run } from '../../src/runtime/index.ts';
import { jobUrl, tempDirsPerTest } from '../helpers.ts';
import { keysPerPartition, loopPattern, partitions, reading, strictPattern, type Reading } from '../jobs/cep-patterns.ts';
import { bruteForceMatches } from './brute-force.ts';

const newDir = tempDirsPerTest('weir-cep-');

function expectedLines(count: number): string[] {
  const lines: string[] = [];
  const add = (label: string, pattern: Pattern<Reading>) => {
    const nfa = compileNfa(pattern);
    for (let p = 0; p < partitions; p++) {
      for (let k = 0; k < keysPerPartition; k++) {
        const key = `p${p}k${k}`;
        const mine: Reading[] = [];
        for (let i = k; i < count; i += keysPerPartition) mine.push(reading(p, i));
        mine.sort((a, b) => a.ts - b.ts || a.i - b.i);
        const { matches, timedOut } = bruteForceMatches(nfa, mine.map((r) => ({ ts: r.ts, value: r })));
        const text = (m: { events: number[]; stages: string[] }) => m.events.map((n, j) => `${mine[n].i}:${m.stages[j]}`).join(' ');
        for (const m of matches) lines.push(`${label} match ${key} ${text(m)}`);
        for (const m of timedOut) lines.push(`${label} timeout ${key} ${text(m)} @${mine[m.events[0]].ts + nfa.windowMs}`);
      }
    }
  };
  add('loop', loopPattern());
  add('strict', strictPattern());
  return lines.sort();
}

const modes = ['continuous', 'micro-batch'] as const;
const backends = ['lmdb', 'heap'] as const;

describe('CEP on worker threads', () => {
  const count = 3_000;
  for (const mode of modes) {
    for (const stateBackend of backends) {
      it(`${mode}, ${stateBackend}: matches and timed-out partial matches equal brute force; nothing late`, async () => {
        const result = await (await run(jobUrl('cep-patterns'), { mode, stateBackend, workDir: newDir(), microBatchIntervalMs: 20, params: { count: String(count) } })).done;
        const got = (result.results.out as string[]).slice().sort();
        const want = expectedLines(count);
        expect(want.filter((l) => l.startsWith('loop match')).length).toBeGreaterThan(50);
        expect(want.filter((l) => l.startsWith('strict match')).length).toBeGreaterThan(50);
        expect(want.filter((l) => l.includes('timeout')).length).toBeGreaterThan(50);
        expect(got.filter((l) => l.startsWith('late'))).toEqual([]);
        expect(got).toEqual(want);
      });
    }
  }

  it('a failure restores runs, held matches and buffered readings from the checkpoint: the committed output is exactly brute force', async () => {
    const workDir = newDir();
    const out = join(workDir, 'out');
    const failAt = 2_500;
    const handle = await run(jobUrl('cep-patterns'), {
      workDir,
      checkpointIntervalMs: 20,
      restartStrategy: { kind: 'fixed-delay', attempts: 5, delayMs: 10 },
      params: { count: String(count * 2), rate: '3000', out, failAt: String(failAt), markers: workDir },
    });
    const result = await handle.done;
    expect(existsSync(join(workDir, 'failed'))).toBe(true);
    expect(result.metrics.restarts!.length).toBeGreaterThanOrEqual(1);
    expect(result.metrics.checkpoints!.completed).toBeGreaterThan(2);
    expect(readCommittedLines(out).sort()).toEqual(expectedLines(count * 2));
  });
});
