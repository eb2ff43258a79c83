// A Kafka broker down for longer than the job's restart budget lasts: sources and sinks retry the
// connection (retryTimeoutMs, minutes by default) instead of failing the attempt, so the job waits
// for the broker, spends no restart, and counts its retries. Real threads, and a real Kafka broker
// of this file's own (the run's shared broker must stay up for the other files), whose JVM is
// stopped for the outage and started again on the same ports and storage.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type JobHandle } from '../../src/runtime/index.ts';
import { jobUrl } from '../helpers.ts';
import { startKafkaBroker, type KafkaBroker } from './real-broker.ts';
import { produce, readTopic, recordsIn, runUntil, sleep } from './util.ts';

let kafka: KafkaBroker;
beforeAll(async () => {
  kafka = await startKafkaBroker();
});
afterAll(async () => kafka?.destroy());

type Observed = { worker: number; records: number; partitions: Record<string, number> };
const records = (n: number, partitions: number) => Array.from({ length: n }, (_, i) => ({ value: JSON.stringify({ i }), partition: i % partitions }));
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
