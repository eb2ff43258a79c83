// The jobs of native-bench/kafka.ts. mode=source: Kafka (bytes) → a no-op sink that notes when its
// first and last record came. mode=sink: generator → Kafka (JSON values, no key), at-least-once,
// or exactly-once with guarantee=exactly-once (the job then needs checkpoints). With ratePerSec the
// generator runs at that fixed rate and the sink writes each record's creation time (its scheduled
// time) in the weir-created-ms header, for the visibility latency (kafka-latency.ts).
// Params: brokers, topic, partitions, count, guarantee, ratePerSec.
import { defineJob } from '../src/api/index.ts';
import { generator, kafkaSink, kafkaSource } from '../src/connectors/index.ts';
import type { SinkSpec } from '../src/connectors/types.ts';

const clock = () => performance.timeOrigin + performance.now();

const noop: SinkSpec<unknown> = {
  kind: 'noop',
  name: 'noop',
  open() {
    let records = 0;
    let firstMs = NaN;
    let lastMs = NaN;
    return {
      write() {
        if (records++ === 0) firstMs = clock();
        lastMs = clock();
      },
      flush() {},
      close() {},
      result: () => [{ records, firstMs, lastMs }],
    };
  },
};

export default defineJob((env) => {
  const brokers = env.params.brokers.split(',');
  const topic = env.params.topic;
  if (env.params.mode === 'sink') {
    const ratePerSec = env.numberParam('ratePerSec', 0);
    env
      .source(generator({ partitions: 1, count: env.numberParam('count', 100_000), seed: 3, ratePerSec }))
      .map((e) => ({ key: e.key, seq: e.seq, value: e.value }))
      .sinkTo(
        kafkaSink({
          brokers,
          topic,
          logLevel: 'nothing',
          guarantee: env.params.guarantee === 'exactly-once' ? 'exactly-once' : 'at-least-once',
          createdHeader: ratePerSec > 0,
        }),
      );
  } else {
    env.source(kafkaSource({ brokers, topic, partitions: env.numberParam('partitions', 2), format: 'bytes', logLevel: 'nothing' }), { name: 'kafka' }).sinkTo(noop);
  }
});
