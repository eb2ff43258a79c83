// A Kafka broker stopped and started again in the middle of a run, on a real broker of this file's
// own (the run's shared broker must stay up for the other files): the job stalls, resumes at the
// same offsets, and loses nothing; with the exactly-once sink, a read_committed consumer sees
// every expected count exactly once. The input is written by an idempotent producer: a send that
// kafkajs retries while the restarted broker settles would otherwise be in the topic twice, and the
// job would rightly read it twice.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/checkpoint-store.ts';
import type { CheckpointMetadata } from '../../src/checkpoint/metadata.ts';
import { run } from '../../src/runtime/index.ts';
import type { CountOut } from '../jobs/kafka-eo-counts.ts';
import { jobUrl, tempDir } from '../helpers.ts';
import { startKafkaBroker, type KafkaBroker } from './real-broker.ts';
import { produce, readCommitted, readTopic, recordsIn, runUntil, sleep, until } from './util.ts';

let kafka: KafkaBroker;
const dir = tempDir('weir-kafka-restart-');
beforeAll(async () => {
  kafka = await startKafkaBroker();
});
afterAll(async () => {
  await kafka?.destroy();
  dir.remove();
});

const records = (n: number, partitions: number) => Array.from({ length: n }, (_, i) => ({ value: JSON.stringify({ i }), partition: i % partitions }));

async function restartBroker(): Promise<void> {
  await kafka.stop();
  await sleep(1_000);
  await kafka.restart();
}

describe('a Kafka broker restarted mid-run (a real broker of its own)', () => {
  it('at-least-once: the job stalls, then resumes at the same offsets; nothing is lost', async () => {
    const n = 3000;
    await kafka.createTopic('down-in', 2);
    await kafka.createTopic('down-out', 2);
    await produce(kafka.bootstrap, 'down-in', records(n / 2, 2), 500, { idempotent: true });
    const handle = await run(jobUrl('kafka-pipeline'), { params: { brokers: kafka.bootstrap.join(','), in: 'down-in', out: 'down-out', partitions: '2' } });
    await until('the first half to be written', () => recordsIn(handle, 'kafka-out') >= n / 2);
    await restartBroker();
    await produce(kafka.bootstrap, 'down-in', records(n, 2).slice(n / 2), 500, { idempotent: true });
    const result = await runUntil(handle, () => recordsIn(handle, 'observed') >= n && recordsIn(handle, 'kafka-out') >= n);
    expect(recordsIn(handle, 'observed')).toBe(n); // the source neither skipped nor repeated a record
    const out = await readTopic<{ i: number }>(kafka.bootstrap, 'down-out', 2, n);
    expect(new Set(out.map((r) => r.value.i)).size).toBe(n); // all there (a retried send may repeat some)
    expect(result.metrics.deadLetters).toBe(0);
  });

  it('exactly-once: checkpoints and transactions that fail while it is down restart the job from its checkpoint; a read_committed consumer sees every expected count exactly once', async () => {
    const keys = 41;
    const partitions = 4;
    const n = 2400;
    const input = (from: number, to: number) => Array.from({ length: to - from }, (_, j) => ({ key: `k${(from + j) % keys}`, value: JSON.stringify({ k: `k${(from + j) % keys}`, i: from + j }) }));
    const expected: string[] = [];
    for (let k = 0; k < keys; k++) for (let c = 1; c <= Math.ceil((n - k) / keys); c++) expected.push(`k${k} ${c}`);
    expected.sort();
    await kafka.createTopic('eo-restart-in', partitions);
    await kafka.createTopic('eo-restart-out', 2);
    const base = join(dir.path, 'eo');
    mkdirSync(base, { recursive: true });
    const stateDir = join(base, 'state');
    // A job that fails for good ends the wait with its error.
    const untilRunning = (what: string, done: () => Promise<boolean>) => Promise.race([until(what, done), handle.done.then(() => Promise.reject(new Error(`the job ended before ${what}`)))]);
    const positions = async () => {
      const store = await CheckpointStore.open(stateDir, { readOnly: true }).catch(() => undefined);
      const list = store ? (await store.list()).filter((c) => c.kind === 'checkpoint' && c.status === 'complete') : [];
      if (list.length === 0) return 0;
      const last: CheckpointMetadata = (await store!.resolve(list.sort((a, b) => a.id! - b.id!).at(-1)!.id!)).metadata;
      return last.sourcePositions.filter((s) => s.operatorUid.includes('kafka-in')).reduce((a, s) => a + (s.position as number), 0);
    };
    await produce(kafka.bootstrap, 'eo-restart-in', input(0, n / 2), 100, { idempotent: true });
    const handle = await run(jobUrl('kafka-eo-counts'), {
      parallelism: 2,
      checkpointIntervalMs: 100,
      restartStrategy: { kind: 'fixed-delay', attempts: 20, delayMs: 500 },
      workDir: join(base, 'job'),
      stateDir,
      params: { brokers: kafka.bootstrap.join(','), in: 'eo-restart-in', out: 'eo-restart-out', partitions: String(partitions), groupId: 'eo-restart', markers: base, offsets: 'transaction' },
    });
    try {
      // At least, then exactly: more records than were produced fail here, not in a wait that never ends.
      await untilRunning('a checkpoint of the first half', async () => (await positions()) >= n / 2);
      expect(await positions()).toBe(n / 2);
      await restartBroker();
      await produce(kafka.bootstrap, 'eo-restart-in', input(n / 2, n), 100, { idempotent: true });
      await untilRunning('a checkpoint of the whole input', async () => (await positions()) >= n);
      expect(await positions()).toBe(n);
    } finally {
      await handle.stop().catch(() => {});
    }
    await handle.done.catch(() => {});
    const seen = (await readCommitted<CountOut>(kafka.bootstrap, 'eo-restart-out', 2, expected.length)).map((r) => `${r.k} ${r.n}`).sort();
    expect(seen).toEqual(expected);
  });
});
