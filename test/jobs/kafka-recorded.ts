// A job on a recorded Kafka topic, read from its start: `weir bench --replay` replays it open-loop.
// Params: brokers (comma-separated), topic, partitions.
import { defineJob } from '../../src/api/index.ts';
import { collect, kafkaSource } from '../../src/connectors/index.ts';

export default defineJob((env) => {
  env
    .source(kafkaSource<{ i: number }>({ brokers: env.params.brokers.split(','), topic: env.params.topic, partitions: Number(env.params.partitions), start: 'earliest' }), { name: 'recorded' })
    .map((v) => v.i, { name: 'i' })
    .sinkTo(collect('values'));
});
