// Avro through Kafka and a schema registry, in the Confluent wire format.
// role=write: writes `count` readings { sensor, celsius } (schema READING_V1) to `topic` with an Avro sink.
// role=read: reads `topic` with the reader schema READING_V2 (adds `unit` with a default) into collect('readings').
// Params: brokers (comma-separated), registry (the registry's Confluent API URL), topic, partitions, role, count.
import { defineJob } from '../../src/api/index.ts';
import { avroFormat, collect, kafkaSink, kafkaSource, type KafkaRecord } from '../../src/connectors/index.ts';
import type { SourceSpec } from '../../src/connectors/types.ts';
import { listSource } from './list-source.ts';

export const READING_V1 = {
  type: 'record',
  name: 'Reading',
  fields: [
    { name: 'sensor', type: 'string' },
    { name: 'celsius', type: 'double' },
  ],
};

/** V1 with a field added with a default: reads what V1 wrote (the default fills in), and V2's own records. */
export const READING_V2 = { ...READING_V1, fields: [...READING_V1.fields, { name: 'unit', type: 'string', default: 'C' }] };

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
      .sinkTo(kafkaSink<Reading>({ brokers, logLevel: 'nothing', topic, key: (r) => r.sensor, value: avroFormat({ registry, schema: READING_V1 }), name: 'kafka-avro-out' }));
    return;
  }
  env
    .source(
      kafkaSource<Reading>({ brokers, logLevel: 'nothing', topic, partitions: env.numberParam('partitions', 1), envelope: true, format: avroFormat({ registry, schema: READING_V2 }) }) as unknown as SourceSpec<KafkaRecord<Reading>>,
      { name: 'kafka-avro-in' },
    )
    .map((r) => ({ ...r.value, partition: r.partition, offset: r.offset }), { name: 'position' })
    .sinkTo(collect('readings'));
});
