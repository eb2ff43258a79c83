/**
 * The scenario the broker-failure tests share: an exactly-once job (test/jobs/kafka-eo-counts.ts)
 * counts 2 400 records per key, checkpoints its first half, meets a broker failure, reads the
 * second half, and a read_committed consumer must then see every expected count exactly once.
 * The caller creates the topics (input with `partitions` partitions, output with 2) and says what
 * the failure is and where the brokers are after it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/checkpoint-store.ts';
import type { CheckpointMetadata } from '../../src/checkpoint/metadata.ts';
import { run } from '../../src/runtime/index.ts';
import type { CountOut } from '../jobs/kafka-eo-counts.ts';
import { jobUrl } from '../helpers.ts';
import { produce, readCommitted, until } from './util.ts';

export const partitions = 4;
const keys = 41;
const n = 2400;

export interface FailureScenario {
  topics: { in: string; out: string };
  /** Where the job's state and fault markers go (created). */
  dir: string;
  bootstrap: string[];
  /** The broker failure, between the two halves of the input. */
  fail(): Promise<void>;
  /** The brokers to write the second half to and read the output from, after the failure. */
  bootstrapAfter?(): string[];
}

/** Sum of the Kafka source's positions in the newest complete checkpoint (0 before the first). */
async function checkpointedPositions(stateDir: string): Promise<number> {
  const store = await CheckpointStore.open(stateDir, { readOnly: true }).catch(() => undefined);
  const list = store ? (await store.list()).filter((c) => c.kind === 'checkpoint' && c.status === 'complete') : [];
  if (list.length === 0) return 0;
  const last: CheckpointMetadata = (await store!.resolve(list.sort((a, b) => a.id! - b.id!).at(-1)!.id!)).metadata;
  return last.sourcePositions.filter((s) => s.operatorUid.includes('kafka-in')).reduce((a, s) => a + (s.position as number), 0);
}

export async function exactlyOnceAcrossFailure(scenario: FailureScenario): Promise<void> {
  const input = (from: number, to: number) => Array.from({ length: to - from }, (_, j) => ({ key: `k${(from + j) % keys}`, value: JSON.stringify({ k: `k${(from + j) % keys}`, i: from + j }) }));
  const expected: string[] = [];
  for (let k = 0; k < keys; k++) for (let c = 1; c <= Math.ceil((n - k) / keys); c++) expected.push(`k${k} ${c}`);
  expected.sort();
  mkdirSync(scenario.dir, { recursive: true });
  const stateDir = join(scenario.dir, 'state');
  // An idempotent producer: a send retried while the brokers settle is not appended twice.
  await produce(scenario.bootstrap, scenario.topics.in, input(0, n / 2), 100);
  const handle = await run(jobUrl('kafka-eo-counts'), {
    parallelism: 2,
    checkpointIntervalMs: 100,
    restartStrategy: { kind: 'fixed-delay', attempts: 20, delayMs: 500 },
    workDir: join(scenario.dir, 'job'),
    stateDir,
    params: { brokers: scenario.bootstrap.join(','), in: scenario.topics.in, out: scenario.topics.out, partitions: String(partitions), groupId: `${scenario.topics.in}-group`, markers: scenario.dir, offsets: 'transaction' },
  });
  // A job that fails for good ends the wait with its error.
  const untilRunning = (what: string, done: () => Promise<boolean>) => Promise.race([until(what, done), handle.done.then(() => Promise.reject(new Error(`the job ended before ${what}`)))]);
  let after = scenario.bootstrap;
  try {
    // At least, then exactly: more records than were produced fail here, not in a wait that never ends.
    await untilRunning('a checkpoint of the first half', async () => (await checkpointedPositions(stateDir)) >= n / 2);
    expect(await checkpointedPositions(stateDir)).toBe(n / 2);
    await scenario.fail();
    after = scenario.bootstrapAfter?.() ?? scenario.bootstrap;
    await produce(after, scenario.topics.in, input(n / 2, n), 100);
    await untilRunning('a checkpoint of the whole input', async () => (await checkpointedPositions(stateDir)) >= n);
    expect(await checkpointedPositions(stateDir)).toBe(n);
  } finally {
    await handle.stop().catch(() => {});
  }
  await handle.done.catch(() => {});
  const seen = (await readCommitted<CountOut>(after, scenario.topics.out, 2, expected.length)).map((r) => `${r.k} ${r.n}`).sort();
  expect(seen).toEqual(expected);
}
