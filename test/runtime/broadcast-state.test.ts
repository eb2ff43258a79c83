import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generator, readCommittedLines } from '../../src/connectors/index.ts';
import { run } from '../../src/runtime/index.ts';
import { jobUrl, readAll, tempDirsPerTest } from '../helpers.ts';

const newDir = tempDirsPerTest('weir-broadcast-');
const modes = [
  { mode: 'continuous' as const },
  { mode: 'micro-batch' as const, microBatchIntervalMs: 5 },
];
const count = 4000;

async function expectedEvents(): Promise<string[]> {
  const all = await readAll(generator({ partitions: 2, count, keys: 20, seed: 4 }));
  return all.map(({ value: e }) => `${e.key} ${e.seq} ${e.value}`).sort();
}

const eventPart = (line: string) => line.split(' ').slice(0, 3).join(' ');

describe('broadcast state', () => {
  for (const mode of modes) {
    describe(mode.mode, () => {
      it('every worker gets every broadcast record, and the keyed function reads what it stored', async () => {
        const result = await (await run(jobUrl('broadcast-rules'), { ...mode, workDir: newDir(), params: { count: String(count) } })).done;
        const out = result.results.out as string[];
        expect(out.filter((l) => l.startsWith('rule')).sort()).toEqual(['rule 0 factor', 'rule 0 threshold', 'rule 1 factor', 'rule 1 threshold']);
        const events = out.filter((l) => !l.startsWith('rule'));
        expect(events.map(eventPart).sort()).toEqual(await expectedEvents());
        expect(events.every((l) => l.endsWith(' 500') || l.endsWith(' none'))).toBe(true);
        // The rules come at the first poll; each key's last event (records later) saw the threshold.
        const lastOfKey = new Map<string, string>();
        for (const l of events) {
          const [key, seq] = l.split(' ');
          const prev = lastOfKey.get(key);
          if (prev === undefined || Number(prev.split(' ')[1]) < Number(seq)) lastOfKey.set(key, l);
        }
        expect([...lastOfKey.values()].every((l) => l.endsWith(' 500'))).toBe(true);
      });

      it('after a failure, every worker restores the broadcast state from the checkpoint (its source does not send it again)', async () => {
        const workDir = newDir();
        const out = join(workDir, 'out');
        const failAt = 1500;
        const result = await (
          await run(jobUrl('broadcast-rules'), {
            ...mode,
            workDir,
            checkpointIntervalMs: 20,
            restartStrategy: { kind: 'fixed-delay', attempts: 5, delayMs: 10 },
            params: { count: String(count), rate: '10000', failAt: String(failAt), markers: workDir, out },
          })
        ).done;
        expect(existsSync(join(workDir, 'fault'))).toBe(true);
        expect(result.metrics.restarts).toHaveLength(1);
        const committed = readCommittedLines(out);
        expect(committed.filter((l) => l.startsWith('rule')).sort()).toEqual(['rule 0 factor', 'rule 0 threshold', 'rule 1 factor', 'rule 1 threshold']);
        const events = committed.filter((l) => !l.startsWith('rule'));
        expect(events.map(eventPart).sort()).toEqual(await expectedEvents());
        // Events from failAt on were processed after the restart (or just before it, long after the rules came).
        expect(events.filter((l) => Number(l.split(' ')[1]) >= failAt).every((l) => l.endsWith(' 500'))).toBe(true);
      });
    });
  }

  it('resumed with another parallelism, every worker has the broadcast state, those that owned no old copy too', async () => {
    const stateDir = newDir();
    const handle = await run(jobUrl('broadcast-rules'), { workDir: stateDir, checkpointIntervalMs: 20, params: { count: String(count), rate: '2000' } });
    const eventsRead = () => handle.metrics().operators.find((o) => o.name === 'events')!.recordsOut;
    while (eventsRead() < count / 4) await new Promise((r) => setTimeout(r, 10));
    await handle.savepoint('quarter');
    await handle.done;
    // 128 key groups: the two old workers kept their copies in groups 0 and 64; of three workers,
    // the third owns groups 86–127.
    const resumed = await (await run(jobUrl('broadcast-rules'), { workDir: newDir(), stateDir, checkpointIntervalMs: 20, restoreFrom: 'quarter', parallelism: 3, params: { count: String(count) } })).done;
    const out = resumed.results.out as string[];
    expect(resumed.restoredFrom?.id).toBeDefined();
    expect(out.some((l) => l.startsWith('rule'))).toBe(false); // the rule source does not send them again
    expect(out.length).toBeGreaterThan(0);
    expect(out.every((l) => l.endsWith(' 500'))).toBe(true);
  });
});
