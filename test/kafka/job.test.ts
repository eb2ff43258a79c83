// Kafka in and out of a real weir job (worker threads, rings), against the run's real Kafka broker.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kafkaPartitionForKey } from '../../src/util/murmur2.ts';
import { limits } from '../../src/limits.ts';
import { run } from '../../src/runtime/index.ts';
import { jobUrl } from '../helpers.ts';
import { sharedKafka, uniqueTopic, type SharedKafka } from './shared-broker.ts';
import { produce, readTopic, recordsIn, runUntil } from './util.ts';

let kafka: SharedKafka;
beforeAll(async () => {
  kafka = await sharedKafka();
});

async function topic(base: string, partitions: number): Promise<string> {
  const name = uniqueTopic(base);
  await kafka.createTopic(name, partitions);
  return name;
}

type Observed = { worker: number; records: number; partitions: Record<string, number>; peakRecords: number; pauses: number };
const records = (n: number, partitions: number) => Array.from({ length: n }, (_, i) => ({ value: JSON.stringify({ i }), partition: i % partitions }));

describe('a weir job reading and writing Kafka', () => {
  it('round trip: every record arrives once, partition p is read on worker p mod parallelism, keys land on their murmur2 partition', async () => {
    const n = 4000;
    const rt_in = await topic('rt_in', 4);
    const rt_out = await topic('rt_out', 3);
    await produce(kafka.bootstrap, rt_in, records(n, 4));
    const handle = await run(jobUrl('kafka-pipeline'), { parallelism: 2, params: { brokers: kafka.bootstrap.join(','), in: rt_in, out: rt_out, partitions: '4' } });
    const result = await runUntil(handle, () => recordsIn(handle, 'kafka-out') >= n && recordsIn(handle, 'observed') >= n);
    const observed = result.results.observed as Observed[];
    // Worker w read exactly the partitions p with p mod 2 = w, all 1000 records of each.
    for (const o of observed) {
      expect(Object.keys(o.partitions).map(Number).sort()).toEqual(o.worker === 0 ? [0, 2] : [1, 3]);
      for (const count of Object.values(o.partitions)) expect(count).toBe(n / 4);
    }
    const out = await readTopic<{ i: number; from: number }>(kafka.bootstrap, rt_out, 3, n);
    expect(out.map((r) => r.value.i).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    for (const r of out) {
      expect(r.partition).toBe(kafkaPartitionForKey(String(r.value.i), 3));
      expect(r.value.from).toBe(r.value.i % 4);
    }
  });

  it('micro-batch mode: the same records, each once', async () => {
    const n = 3000;
    const mb_in = await topic('mb_in', 2);
    const mb_out = await topic('mb_out', 1);
    await produce(kafka.bootstrap, mb_in, records(n, 2), 300);
    const handle = await run(jobUrl('kafka-pipeline'), { mode: 'micro-batch', microBatchIntervalMs: 50, params: { brokers: kafka.bootstrap.join(','), in: mb_in, out: mb_out, partitions: '2' } });
    const result = await runUntil(handle, () => recordsIn(handle, 'kafka-out') >= n && recordsIn(handle, 'observed') >= n);
    expect(result.metrics.epochsCompleted).toBeGreaterThan(0);
    expect((result.results.observed as Observed[]).reduce((s, o) => s + o.records, 0)).toBe(n);
    const out = await readTopic<{ i: number }>(kafka.bootstrap, mb_out, 1, n);
    expect(out.map((r) => r.value.i).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('a record that does not decode goes to the dead letters with topic, partition and offset; the job goes on', async () => {
    const dl_in = await topic('dl_in', 2);
    const dl_out = await topic('dl_out', 1);
    await produce(kafka.bootstrap, dl_in, [{ value: '{"i":0}', partition: 0 }, { value: 'oops', partition: 1 }, { value: '{"i":1}', partition: 1 }]);
    const handle = await run(jobUrl('kafka-pipeline'), { params: { brokers: kafka.bootstrap.join(','), in: dl_in, out: dl_out, partitions: '2' } });
    const result = await runUntil(handle, () => recordsIn(handle, 'kafka-out') >= 2 && handle.metrics().deadLetters >= 1);
    expect(result.metrics.deadLetters).toBe(1);
    const lines = readFileSync(join(result.workDir, 'dead-letters-1.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([{ source: 'kafka-in', partition: 1, offset: 0, raw: 'oops', reason: expect.stringMatching(new RegExp(`topic ${dl_in} partition 1 at offset 0`)) }]);
  });

  it('backpressure: a slow sink pauses the partition fetchers; their buffers stay bounded and nothing is lost', async () => {
    // A fetch returns up to limits.kafkaFetchBytesMax (4 MiB): with 3 kB records, about 1400 of
    // them. The buffer bound is 300: a buffer holds at most the bound plus one fetch, well below a
    // partition's 2000 records.
    const n = 4000;
    const oneFetch = Math.ceil(limits.kafkaFetchBytesMax / 3000) + 100; // fetches end on whole record batches (100 records)
    const pad = 'x'.repeat(3000);
    const bp_in = await topic('bp_in', 2);
    const bp_out = await topic('bp_out', 1);
    await produce(kafka.bootstrap, bp_in, Array.from({ length: n }, (_, i) => ({ value: JSON.stringify({ i, pad }), partition: i % 2 })), 200);
    const handle = await run(jobUrl('kafka-pipeline'), {
      params: { brokers: kafka.bootstrap.join(','), in: bp_in, out: bp_out, partitions: '2', bufferRecordsMax: '300', slowUs: '100' },
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
      expect(o.peakRecords).toBeLessThanOrEqual(300 + oneFetch);
    }
    expect(observed.reduce((s, o) => s + o.records, 0)).toBe(n);
  });
});
