import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generator, readCommittedLines } from '../../src/connectors/index.ts';
import { DataStream } from '../../src/api/index.ts';
import { JobGraph } from '../../src/api/graph.ts';
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
  const variants = [
    ['keyed', '1'],
    ['not keyed', '0'],
  ] as const;
  for (const [variant, keyed] of variants) {
    for (const mode of modes) {
      describe(`${variant}, ${mode.mode}`, () => {
        it('every worker gets every broadcast record, and the function reads what it stored', async () => {
          const result = await (await run(jobUrl('broadcast-rules'), { ...mode, workDir: newDir(), params: { count: String(count), keyed } })).done;
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
              params: { count: String(count), rate: '10000', failAt: String(failAt), markers: workDir, out, keyed },
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
  }

  it('not keyed: a record its function throws on goes to the dead letters, named by the operator and its position', async () => {
    const result = await (await run(jobUrl('broadcast-rules'), { workDir: newDir(), params: { count: String(count), keyed: '0', badSeq: '7' } })).done;
    const out = result.results.out as string[];
    const dlq = result.results.dlq as Array<{ source: string; partition: number; offset: number; reason: string }>;
    expect(dlq.map((d) => [d.source, d.partition, d.offset]).sort()).toEqual([
      ['apply-rules', 0, 7],
      ['apply-rules', 1, 7],
    ]);
    expect(dlq[0].reason).toMatch(/operator "apply-rules" threw on the record from source partition \d at offset 7: bad event 7/);
    const expected = (await expectedEvents()).filter((l) => l.split(' ')[1] !== '7');
    expect(out.filter((l) => !l.startsWith('rule')).map(eventPart).sort()).toEqual(expected);
  });

  it('not keyed: an async function, or a timer, is refused when the job is defined', async () => {
    const graph = new JobGraph();
    const events = new DataStream<number>(graph, 0);
    const rules = events.broadcast();
    expect(() => events.connect(rules).process({ async processElement() {}, processBroadcastElement() {} })).toThrow(/async/);
    expect(() => events.connect(rules).process({ processElement() {}, processBroadcastElement() {}, onTimer() {} } as never)).toThrow(/a stream that is not keyed has no timers \(onTimer\); keyBy it first/);
  });

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
