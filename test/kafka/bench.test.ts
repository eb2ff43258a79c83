// `weir bench` with its load from Kafka (issue #6): a producer writes the job's generator events at
// the fixed rate into a topic, the job reads them back; the same seed gives the same output as the
// embedded generator, and latency is measured from each record's scheduled creation.
import { beforeAll, describe, expect, it } from 'vitest';
import { runBench, type BenchOptions } from '../../src/harness/bench.ts';
import { sharedKafka, uniqueTopic, type SharedKafka } from './shared-broker.ts';
import { readTopicToEnd } from './util.ts';

let kafka: SharedKafka;
beforeAll(async () => {
  kafka = await sharedKafka();
});
const benchLoad = uniqueTopic('bench-load');

describe('weir bench with the load from Kafka', () => {
  it('the same events at the same rate through Kafka: equal output checksum to the generator run, latency from the scheduled creation time', async () => {
    await kafka.createTopic(benchLoad, 2);
    const options: BenchOptions = {
      job: new URL('../../examples/clicks.ts', import.meta.url),
      params: {},
      modes: ['continuous'],
      ratesPerSec: [3_000],
      warmupS: 0.5,
      durationS: 1,
      microBatchIntervalMs: 100,
      seed: 7,
      p99BoundMs: 1_000,
    };
    const fromGenerator = await runBench(options);
    const fromKafka = await runBench({ ...options, kafka: { brokers: kafka.bootstrap, topic: benchLoad } });
    const [g, k] = [fromGenerator.runs[0], fromKafka.runs[0]];
    expect(fromKafka.config.kafka).toEqual({ brokers: kafka.bootstrap, topic: benchLoad });
    expect(k.outputChecksum).toBe(g.outputChecksum); // the same events, each read once
    expect(k.records).toBeGreaterThan(0);
    expect(k.latency.endToEnd.p50Ms).toBeGreaterThan(0);
    // The topic holds the load: the run's events, keyed by the event key, with their creation time.
    const written = await readTopicToEnd<{ key: number }>(kafka.bootstrap, benchLoad, 2);
    expect(written).toHaveLength(3_000 * 1.5);
    for (const r of written.slice(0, 50)) expect(r.key).toBe(String(r.value.key));
  });
});
