// A real Kafka broker of this file's own (the run's shared broker must stay up for the other
// files), whose JVM is stopped and started again on the same ports and storage:
//  - restarted mid-run: the job stalls, resumes at the same offsets, and loses nothing; with the
//    exactly-once sink, a read_committed consumer sees every expected count exactly once;
//  - down for longer than the job's restart budget lasts, at the start and mid-stream: sources and
//    sinks retry the connection (retryTimeoutMs, minutes by default) instead of failing the
//    attempt, so the job waits for the broker, spends no restart, and counts its retries.
// The input is written by an idempotent producer where the broker restarts under it: a send that
// kafkajs retries while the restarted broker settles would otherwise be in the topic twice, and the
// job would rightly read it twice.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type JobHandle } from '../../src/runtime/index.ts';
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
    await produce(kafka.bootstrap, 'down-in', records(n / 2, 2));
    const handle = await run(jobUrl('kafka-pipeline'), { params: { brokers: kafka.bootstrap.join(','), in: 'down-in', out: 'down-out', partitions: '2' } });
    await until('the first half to be written', () => recordsIn(handle, 'kafka-out') >= n / 2);
    await restartBroker();
    await produce(kafka.bootstrap, 'down-in', records(n, 2).slice(n / 2));
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

type Observed = { worker: number; records: number; partitions: Record<string, number> };
// Before, a connection failure failed the attempt and each retry was a restart: with one restart
// of 100 ms, a job met by this outage failed within a few seconds (the client's own request
// retries last about 3 s).
const smallRestartBudget = { kind: 'fixed-delay', attempts: 1, delayMs: 100 } as const;
const outageMs = 10_000;

/** Resolves true if the job settles (completes or fails) within `ms`. */
function settlesWithin(handle: JobHandle, ms: number): Promise<boolean> {
  return Promise.race([handle.done.then(() => true, () => true), sleep(ms).then(() => false)]);
}

describe('a Kafka broker that is down for longer than the restart budget lasts (a real broker of its own, stopped and started again)', () => {
  it('when the job starts: the sources retry opening, and read every record once when it is back', async () => {
    const n = 2000;
    await kafka.createTopic('outage-in', 2);
    await produce(kafka.bootstrap, 'outage-in', records(n, 2));
    await kafka.stop();
    const handle = await run(jobUrl('kafka-pipeline'), { restartStrategy: smallRestartBudget, params: { brokers: kafka.bootstrap.join(','), in: 'outage-in', partitions: '2' } });
    expect(await settlesWithin(handle, outageMs)).toBe(false); // waiting for the broker, not failed
    await kafka.restart();
    const result = await runUntil(handle, () => recordsIn(handle, 'observed') >= n, 30_000);
    const observed = result.results.observed as Observed[];
    expect(observed.reduce((s, o) => s + o.records, 0)).toBe(n);
    for (const o of observed) for (const count of Object.values(o.partitions)) expect(count).toBe(n / 2); // each record once
    expect(result.metrics.restarts).toEqual([]);
    expect(result.metrics.connectionRetries).toBeGreaterThan(0);
  });

  it('mid-stream, with a Kafka sink sending: sources and sink retry; nothing is skipped, every record arrives', async () => {
    const n = 4000;
    await kafka.createTopic('outage2-in', 2);
    await kafka.createTopic('outage2-out', 1);
    await produce(kafka.bootstrap, 'outage2-in', records(n, 2));
    // 2 ms a record: the job is still reading and sending when the broker goes down.
    const handle = await run(jobUrl('kafka-pipeline'), {
      restartStrategy: smallRestartBudget,
      params: { brokers: kafka.bootstrap.join(','), in: 'outage2-in', out: 'outage2-out', partitions: '2', slowUs: '2000' },
    });
    while (recordsIn(handle, 'kafka-out') < 200) await sleep(20);
    await kafka.stop();
    expect(await settlesWithin(handle, outageMs)).toBe(false);
    await kafka.restart();
    const result = await runUntil(handle, () => recordsIn(handle, 'observed') >= n && recordsIn(handle, 'kafka-out') >= n, 60_000);
    expect((result.results.observed as Observed[]).reduce((s, o) => s + o.records, 0)).toBe(n);
    const out = await readTopic<{ i: number }>(kafka.bootstrap, 'outage2-out', 1, n, 15_000);
    expect(new Set(out.map((r) => r.value.i)).size).toBe(n); // all there (a retried send may repeat some)
    expect(result.metrics.restarts).toEqual([]);
    expect(result.metrics.connectionRetries).toBeGreaterThan(0);
  });
});
