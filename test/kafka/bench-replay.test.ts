// `weir bench --replay` on a job that reads a recorded Kafka topic: the topic never ends, so the
// replay ends each partition after rate × seconds of records; every record is read once.
import { beforeAll, describe, expect, it } from 'vitest';
import { runBench } from '../../src/harness/bench.ts';
import { OutputChecksum } from '../../src/runtime/instrumentation/checksum.ts';
import { jobUrl } from '../helpers.ts';
import { sharedKafka, uniqueTopic, type SharedKafka } from './shared-broker.ts';
import { produce } from './util.ts';

let kafka: SharedKafka;
const topic = uniqueTopic('recorded');
beforeAll(async () => {
  kafka = await sharedKafka();
});

describe('weir bench --replay on a Kafka topic', () => {
  it('reads the recorded topic open-loop at the rate and ends after rate × seconds records', async () => {
    await kafka.createTopic(topic, 2);
    await produce(kafka.bootstrap, topic, Array.from({ length: 1_000 }, (_, i) => ({ key: String(i), partition: i % 2, value: JSON.stringify({ i }) })));
    const report = await runBench({
      job: jobUrl('kafka-recorded'),
      replay: true,
      params: { brokers: kafka.bootstrap.join(','), topic, partitions: '2' },
      modes: ['continuous'],
      ratesPerSec: [1_000],
      warmupS: 0.3,
      durationS: 0.7,
      microBatchIntervalMs: 100,
      seed: 1,
      p99BoundMs: 1_000,
    });
    const [run] = report.runs;
    expect(report.config.load).toBe('replay');
    // 1 000 events/s for 1 s over two partitions: 500 of each, i.e. the whole topic, each record once.
    expect(run.inputRecords).toBe(700);
    expect(run.records).toBe(700);
    // The checksum of the values 0 … 999, each once (the job writes each record's i).
    const expected = new OutputChecksum();
    for (let i = 0; i < 1_000; i++) expected.add(i);
    expect(run.outputChecksum).toBe(OutputChecksum.combine([expected.lanes()]));
  });
});
