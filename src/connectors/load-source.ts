/**
 * The load of a benchmark job: the seeded generator by default, or — when `weir bench` is given a
 * Kafka topic — the same events read back from Kafka, written there at the fixed rate by a load
 * producer (src/harness/kafka-load.ts). A bench job builds its source with
 * `loadSource(env.params, generatorOptions)` and works unchanged in both cases.
 */
import { generator, type GeneratedEvent, type GeneratorOptions } from './generator.ts';
import { kafkaSource } from './kafka/source.ts';
import type { SourceSpec } from './types.ts';

/** The parameter through which the harness tells the job to read its load from Kafka (JSON KafkaLoad). */
export const kafkaLoadParam = 'weir.kafkaLoad';

export interface KafkaLoad {
  brokers: string[];
  topic: string;
  partitions: number;
  /** Where each partition starts: the topic's end when the run began (earlier runs' records are skipped). */
  offsets: Record<number, number>;
}

/** A source spec that also says which generator options describe its load (the harness produces them into Kafka). */
export type LoadSourceSpec = SourceSpec<GeneratedEvent> & { readonly load: GeneratorOptions };

export function loadSource(params: Readonly<Record<string, string>>, opts: GeneratorOptions): LoadSourceSpec {
  const kafka = params[kafkaLoadParam];
  if (kafka === undefined) return { ...generator(opts), load: opts };
  const k = JSON.parse(kafka) as KafkaLoad;
  return { ...kafkaSource<GeneratedEvent>({ brokers: k.brokers, topic: k.topic, partitions: k.partitions, start: { offsets: k.offsets } }), load: opts };
}

export function isLoadSource(spec: SourceSpec<unknown>): spec is LoadSourceSpec {
  return typeof (spec as Partial<LoadSourceSpec>).load === 'object';
}
