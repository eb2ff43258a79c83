// Kafka → keyBy(record key) → running count per key → Kafka (at-least-once), for the scale-out
// test (test/kafka/scale-out.test.ts). Output records are { k, n, p }: key k has been seen n times,
// the latest record from Kafka partition p. Keys are the Kafka record keys, as scale-out requires.
// Params: brokers (comma-separated), in, out, partitions.
import { defineJob } from '../../src/api/index.ts';
import { kafkaSink, kafkaSource, type KafkaRecord } from '../../src/connectors/index.ts';
import type { SourceSpec } from '../../src/connectors/types.ts';

type In = { k: string; i: number };

export default defineJob((env) => {
  const brokers = env.params.brokers.split(',');
  env
    .source(kafkaSource<In>({ brokers, topic: env.params.in, partitions: env.numberParam('partitions', 4), envelope: true, logLevel: 'nothing' }) as unknown as SourceSpec<KafkaRecord<In>>, { name: 'kafka-in' })
    .keyBy((r) => r.key!, { name: 'by-key' })
    .process<{ k: string; n: number; p: number }>((r, ctx) => {
      const seen = ctx.valueState<number>('seen');
      const n = (seen.value() ?? 0) + 1;
      seen.update(n);
      ctx.emit({ k: r.key!, n, p: r.partition });
    }, { name: 'running-count' })
    .sinkTo(kafkaSink({ brokers, topic: env.params.out, key: (v) => v.k, name: 'kafka-out', logLevel: 'nothing' }));
}, { name: 'kafka-scaled-counts' });
