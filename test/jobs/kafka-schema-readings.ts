// Readings through Kafka and a schema registry, in the Confluent wire format, as Avro or Protobuf
// (param format). role=write: writes `count` readings { sensor, celsius } with the V1 schema to
// `topic` (sink kafka-<format>-out). role=read: reads `topic` with the V2 reader schema, which adds
// `unit` (Avro: with a default; Protobuf: '' when absent), into collect('readings') (source
// kafka-<format>-in).
// Params: format (avro | protobuf), brokers (comma-separated), registry (the registry's Confluent
// API URL), topic, partitions, role, count.
import { defineJob } from '../../src/api/index.ts';
import { avroFormat, collect, kafkaSink, kafkaSource, protobufFormat, type KafkaRecord } from '../../src/connectors/index.ts';
import type { KafkaFormat } from '../../src/connectors/kafka/format.ts';
import type { SourceSpec } from '../../src/connectors/types.ts';
import { listSource } from './list-source.ts';

export const AVRO_READING_V1 = {
  type: 'record',
  name: 'Reading',
  fields: [
    { name: 'sensor', type: 'string' },
    { name: 'celsius', type: 'double' },
  ],
};
/** V1 with a field added with a default: reads what V1 wrote (the default fills in), and V2's own records. */
export const AVRO_READING_V2 = { ...AVRO_READING_V1, fields: [...AVRO_READING_V1.fields, { name: 'unit', type: 'string', default: 'C' }] };

export const PROTO_READING_V1 = 'syntax = "proto3";\npackage weir.test;\nmessage Reading {\n  string sensor = 1;\n  double celsius = 2;\n}\n';
/** V1 with a field added: reads what V1 wrote (unit is then ''), and V2's own records. */
export const PROTO_READING_V2 = 'syntax = "proto3";\npackage weir.test;\nmessage Reading {\n  string sensor = 1;\n  double celsius = 2;\n  string unit = 3;\n}\n';

type Reading = { sensor: string; celsius: number; unit?: string };

/** The writer (V1) and reader (V2) formats of each schema language. */
const formats: Record<string, (registry: string) => { writer: KafkaFormat<Reading>; reader: KafkaFormat<Reading> }> = {
  avro: (registry) => ({ writer: avroFormat({ registry, schema: AVRO_READING_V1 }), reader: avroFormat({ registry, schema: AVRO_READING_V2 }) }),
  protobuf: (registry) => ({
    writer: protobufFormat({ registry, schema: PROTO_READING_V1, messageType: 'weir.test.Reading' }),
    reader: protobufFormat({ registry, schema: PROTO_READING_V2, messageType: 'weir.test.Reading' }),
  }),
};

export default defineJob((env) => {
  const format = env.params.format;
  if (!Object.hasOwn(formats, format)) throw new Error(`kafka-schema-readings: format must be avro or protobuf, got ${format}`);
  const { writer, reader } = formats[format](env.params.registry);
  const brokers = env.params.brokers.split(',');
  const topic = env.params.topic;
  if (env.params.role === 'write') {
    const count = env.numberParam('count', 10);
    const readings: Reading[] = Array.from({ length: count }, (_, i) => ({ sensor: `s${i}`, celsius: i + 0.5 }));
    env
      .source(listSource([readings], { bounded: true }), { name: 'readings' })
      .sinkTo(kafkaSink<Reading>({ brokers, logLevel: 'nothing', topic, key: (r) => r.sensor, value: writer, name: `kafka-${format}-out` }));
    return;
  }
  env
    .source(
      kafkaSource<Reading>({ brokers, logLevel: 'nothing', topic, partitions: env.numberParam('partitions', 1), envelope: true, format: reader }) as unknown as SourceSpec<KafkaRecord<Reading>>,
      { name: `kafka-${format}-in` },
    )
    .map((r) => ({ ...r.value, partition: r.partition, offset: r.offset }), { name: 'position' })
    .sinkTo(collect('readings'));
});
