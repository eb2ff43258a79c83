// A Kafka broker stopped and started again in the middle of a run, on a real broker of this file's
// own (the run's shared broker must stay up for the other files): the job stalls, resumes at the
// same offsets, and loses nothing; with the exactly-once sink, a read_committed consumer sees
// every expected count exactly once. The input is written by an idempotent producer: a send that
// kafkajs retries while the restarted broker settles would otherwise be in the topic twice, and the
// job would rightly read it twice.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/runtime/index.ts';
import { jobUrl, tempDir } from '../helpers.ts';
import { exactlyOnceAcrossFailure, partitions } from './exactly-once-across-failure.ts';
import { startKafkaBroker, type KafkaBroker } from './real-broker.ts';
import { produce, readTopic, recordsIn, runUntil, sleep, until } from './util.ts';

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
    await kafka.createTopic('eo-restart-in', partitions);
    await kafka.createTopic('eo-restart-out', 2);
    await exactlyOnceAcrossFailure({ topics: { in: 'eo-restart-in', out: 'eo-restart-out' }, dir: join(dir.path, 'eo'), bootstrap: kafka.bootstrap, fail: restartBroker });
  });
});
