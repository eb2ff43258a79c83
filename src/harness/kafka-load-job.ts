// The load producer of `weir bench --kafka-brokers … --kafka-topic …`: the bench job's generator
// (same options, so the same seeded events at the same fixed rate, open loop) written into the
// topic, keyed by the event's key, each record carrying its scheduled creation time in the
// weir-created-ms header — which the job's Kafka source reads back, so end-to-end latency still
// counts from when a record was due, including any time it waited in this producer.
// Params: load (JSON GeneratorOptions), kafka (JSON { brokers, topic }).
import { defineJob } from '../api/job.ts';
import { generator, type GeneratedEvent, type GeneratorOptions } from '../connectors/generator.ts';
import { kafkaSink } from '../connectors/kafka/sink.ts';

export default defineJob(
  (env) => {
    const load = JSON.parse(env.params.load) as GeneratorOptions;
    const kafka = JSON.parse(env.params.kafka) as { brokers: string[]; topic: string };
    env
      .source(generator(load), { name: 'load' })
      .sinkTo(kafkaSink<GeneratedEvent>({ brokers: kafka.brokers, topic: kafka.topic, key: (e) => String(e.key), createdHeader: true, name: 'kafka-load' }));
  },
  { name: 'kafka-load' },
);
