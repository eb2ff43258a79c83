// Protobuf through Kafka and a schema registry, in the Confluent wire format.
// role=write: writes `count` readings { sensor, celsius } (schema READING_V1) to `topic` with a Protobuf sink.
// role=read: reads `topic` with the reader schema READING_V2 (adds `unit`) into collect('readings').
// Params: brokers (comma-separated), registry (the registry's Confluent API URL), topic, partitions, role, count.
import { defineJob } from '../../src/api/index.ts';
import { collect, kafkaSink, kafkaSource, protobufFormat, type KafkaRecord } from '../../src/connectors/index.ts';
import type { SourceSpec } from '../../src/connectors/types.ts';
import { listSource } from './list-source.ts';

export const READING_V1 = 'syntax = "proto3";\npackage weir.test;\nmessage Reading {\n  string sensor = 1;\n  double celsius = 2;\n}\n';
/** V1 with a field added: reads what V1 wrote (unit is then ''), and V2's own records. */
export const READING_V2 = 'syntax = "proto3";\npackage weir.test;\nmessage Reading {\n  string sensor = 1;\n  double celsius = 2;\n  string unit = 3;\n}\n';

type Reading = { sensor: string; celsius: number; unit?: string };

export default defineJob((env) => {
  const brokers = env.params.brokers.split(',');
  const registry = env.params.registry;
  const topic = env.params.topic;
  if (env.params.role === 'write') {
    const count = env.numberParam('count', 10);
    const readings: Reading[] = Array.from({ length: count }, (_, i) => ({ sensor: `s${i}`, celsius: i + 0.5 }));
    env
      .source(listSource([readings], { bounded: true }), { name: 'readings' })
      .sinkTo(kafkaSink<Reading>({ brokers, logLevel: 'nothing', topic, key: (r) => r.sensor, value: protobufFormat({ registry, schema: READING_V1, messageType: 'weir.test.Reading' }), name: 'kafka-protobuf-out' }));
    return;
  }
  env
    .source(
      kafkaSource<Reading>({ brokers, logLevel: 'nothing', topic, partitions: env.numberParam('partitions', 1), envelope: true, format: protobufFormat({ registry, schema: READING_V2, messageType: 'weir.test.Reading' }) }) as unknown as SourceSpec<KafkaRecord<Reading>>,
      { name: 'kafka-protobuf-in' },
    )
    .map((r) => ({ ...r.value, partition: r.partition, offset: r.offset }), { name: 'position' })
    .sinkTo(collect('readings'));
});
