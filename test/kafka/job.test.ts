// Kafka in and out of a real weir job (worker threads, rings), against librdkafka's mock broker.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaPartitionForKey } from '../../src/util/murmur2.ts';
import { run } from '../../src/runtime/index.ts';
import { jobUrl } from '../helpers.ts';
import { startMockKafka, type MockKafka } from './broker.ts';
import { produce, readTopic, recordsIn, runUntil, sleep, until } from './util.ts';

let kafka: MockKafka;
beforeAll(async () => {
  kafka = await startMockKafka({ brokers: 1 });
});
afterAll(async () => kafka?.stop());

type Observed = { worker: number; records: number; partitions: Record<string, number>; peakRecords: number; pauses: number };
const records = (n: number, partitions: number) => Array.from({ length: n }, (_, i) => ({ value: JSON.stringify({ i }), partition: i % partitions }));

describe('a weir job reading and writing Kafka', () => {
  it('round trip: every record arrives once, partition p is read on worker p mod parallelism, keys land on their murmur2 partition', async () => {
    const n = 4000;
    await kafka.createTopic('rt-in', 4);
    await kafka.createTopic('rt-out', 3);
    await produce(kafka.bootstrap, 'rt-in', records(n, 4));
    const handle = await run(jobUrl('kafka-pipeline'), { parallelism: 2, params: { brokers: kafka.bootstrap.join(','), in: 'rt-in', out: 'rt-out', partitions: '4' } });
    const result = await runUntil(handle, () => recordsIn(handle, 'kafka-out') >= n && recordsIn(handle, 'observed') >= n);
    const observed = result.results.observed as Observed[];
    // Worker w read exactly the partitions p with p mod 2 = w, all 1000 records of each.
    for (const o of observed) {
      expect(Object.keys(o.partitions).map(Number).sort()).toEqual(o.worker === 0 ? [0, 2] : [1, 3]);
      for (const count of Object.values(o.partitions)) expect(count).toBe(n / 4);
    }
    const out = await readTopic<{ i: number; from: number }>(kafka.bootstrap, 'rt-out', 3, n);
    expect(out.map((r) => r.value.i).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    for (const r of out) {
      expect(r.partition).toBe(kafkaPartitionForKey(String(r.value.i), 3));
      expect(r.value.from).toBe(r.value.i % 4);
    }
  });

  it('micro-batch mode: the same records, each once', async () => {
    const n = 3000;
    await kafka.createTopic('mb-in', 2);
    await kafka.createTopic('mb-out', 1);
    await produce(kafka.bootstrap, 'mb-in', records(n, 2), 300);
    const handle = await run(jobUrl('kafka-pipeline'), { mode: 'micro-batch', microBatchIntervalMs: 50, params: { brokers: kafka.bootstrap.join(','), in: 'mb-in', out: 'mb-out', partitions: '2' } });
    const result = await runUntil(handle, () => recordsIn(handle, 'kafka-out') >= n && recordsIn(handle, 'observed') >= n);
    expect(result.metrics.epochsCompleted).toBeGreaterThan(0);
    expect((result.results.observed as Observed[]).reduce((s, o) => s + o.records, 0)).toBe(n);
    const out = await readTopic<{ i: number }>(kafka.bootstrap, 'mb-out', 1, n);
    expect(out.map((r) => r.value.i).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('a record that does not decode goes to the dead letters with topic, partition and offset; the job goes on', async () => {
    await kafka.createTopic('dl-in', 2);
    await kafka.createTopic('dl-out', 1);
    await produce(kafka.bootstrap, 'dl-in', [{ value: '{"i":0}', partition: 0 }, { value: 'oops', partition: 1 }, { value: '{"i":1}', partition: 1 }]);
    const handle = await run(jobUrl('kafka-pipeline'), { params: { brokers: kafka.bootstrap.join(','), in: 'dl-in', out: 'dl-out', partitions: '2' } });
    const result = await runUntil(handle, () => recordsIn(handle, 'kafka-out') >= 2 && handle.metrics().deadLetters >= 1);
    expect(result.metrics.deadLetters).toBe(1);
    const lines = readFileSync(join(result.workDir, 'dead-letters-1.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([{ source: 'kafka-in', partition: 1, offset: 0, raw: 'oops', reason: expect.stringMatching(/topic dl-in partition 1 at offset 0/) }]);
  });

  it('backpressure: a slow sink pauses the partition fetchers; their buffers stay bounded and nothing is lost', async () => {
    // The mock broker answers a fetch with one record batch (a real broker fills maxBytes), so the
    // input is produced in batches of 500 and the buffer bound is 300: a buffer holds at most the
    // bound plus one fetch.
    const n = 6000;
    await kafka.createTopic('bp-in', 2);
    await kafka.createTopic('bp-out', 1);
    await produce(kafka.bootstrap, 'bp-in', records(n, 2), 1000);
    const handle = await run(jobUrl('kafka-pipeline'), {
      params: { brokers: kafka.bootstrap.join(','), in: 'bp-in', out: 'bp-out', partitions: '2', bufferRecordsMax: '300', slowUs: '100' },
    });
    // Behind the slow sink, the job's metrics show each partition's consumer lag (high watermark − position).
    let peakLag = 0;
    const result = await runUntil(handle, () => {
      peakLag = Math.max(peakLag, ...handle.metrics().sources.map((p) => p.lag ?? 0));
      return recordsIn(handle, 'kafka-out') >= n && recordsIn(handle, 'observed') >= n;
    });
    expect(peakLag).toBeGreaterThan(0);
    expect(result.metrics.sources.map((p) => p.lag)).toEqual([0, 0]);
    const observed = result.results.observed as Observed[];
    for (const o of observed) {
      expect(o.pauses).toBeGreaterThan(0);
      expect(o.peakRecords).toBeGreaterThan(0);
      expect(o.peakRecords).toBeLessThanOrEqual(300 + 500);
    }
    expect(observed.reduce((s, o) => s + o.records, 0)).toBe(n);
  });

  it('a broker down for 2.5 s mid-stream: the job stalls, then resumes at the same offsets; nothing is lost (at-least-once out)', async () => {
    const n = 3000;
    await kafka.createTopic('down-in', 2);
    await kafka.createTopic('down-out', 2);
    await produce(kafka.bootstrap, 'down-in', records(n / 2, 2));
    const handle = await run(jobUrl('kafka-pipeline'), { params: { brokers: kafka.bootstrap.join(','), in: 'down-in', out: 'down-out', partitions: '2' } });
    await until('the first half to be written', () => recordsIn(handle, 'kafka-out') >= n / 2);
    await kafka.brokerDown(1);
    await sleep(2_500);
    const duringOutage = recordsIn(handle, 'observed');
    await kafka.brokerUp(1);
    await produce(kafka.bootstrap, 'down-in', records(n, 2).slice(n / 2));
    const result = await runUntil(handle, () => recordsIn(handle, 'observed') >= n && recordsIn(handle, 'kafka-out') >= n);
    expect(duringOutage).toBe(n / 2);
    expect(recordsIn(handle, 'observed')).toBe(n); // the source neither skipped nor repeated a record
    const out = await readTopic<{ i: number }>(kafka.bootstrap, 'down-out', 2, n);
    expect(new Set(out.map((r) => r.value.i)).size).toBe(n); // all there (a retried send may repeat some)
    expect(result.metrics.deadLetters).toBe(0);
  });
});
