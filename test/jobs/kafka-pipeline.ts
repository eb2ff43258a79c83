// Kafka → map → Kafka, plus a sink that records which worker saw which Kafka partition (pinning)
// and, with --param slowUs=N, spends N µs per record; its result reports the source buffers' peaks and pauses (backpressure).
// Params: brokers (comma-separated), in, out (without it: no Kafka sink), partitions, bufferRecordsMax, slowUs.
import { defineJob } from '../../src/api/index.ts';
import { kafkaSink, kafkaSource, type KafkaRecord } from '../../src/connectors/index.ts';
import type { KafkaPartitionReader } from '../../src/connectors/kafka/reader.ts';
import type { SinkSpec, SourceSpec } from '../../src/connectors/types.ts';

type In = { i: number };

/** The readers this thread opened (each worker imports this module itself). */
const readers: Array<KafkaPartitionReader<unknown>> = [];

function watched<T>(spec: SourceSpec<T>): SourceSpec<T> {
  return {
    ...spec,
    open: async (partition, ctx, from) => {
      const reader = await spec.open(partition, ctx, from);
      readers.push(reader as unknown as KafkaPartitionReader<unknown>);
      return reader;
    },
  };
}

function observer(slowUs: number): SinkSpec<KafkaRecord<In>> {
  return {
    kind: 'observer',
    name: 'observed',
    open(ctx) {
      const seen = new Map<number, number>();
      let n = 0;
      return {
        write(r) {
          seen.set(r.partition, (seen.get(r.partition) ?? 0) + 1);
          n++;
          if (slowUs > 0) {
            const until = performance.now() + slowUs / 1000;
            while (performance.now() < until);
          }
        },
        flush() {},
        close() {},
        result: () => [
          {
            worker: ctx.subtask,
            records: n,
            partitions: Object.fromEntries(seen),
            peakRecords: Math.max(0, ...readers.map((r) => r.backpressure().peakRecords)),
            pauses: readers.reduce((sum, r) => sum + r.backpressure().pauses, 0),
          },
        ],
      };
    },
  };
}

export default defineJob((env) => {
  const brokers = env.params.brokers.split(',');
  const records = env.source(
    watched(kafkaSource<In>({ brokers, topic: env.params.in, partitions: env.numberParam('partitions', 2), envelope: true, logLevel: 'nothing', bufferRecordsMax: env.numberParam('bufferRecordsMax', 50_000) })) as unknown as SourceSpec<KafkaRecord<In>>,
    { name: 'kafka-in' },
  );
  records.sinkTo(observer(env.numberParam('slowUs', 0)));
  if (env.params.out === undefined) return;
  records
    .map((r) => ({ i: r.value.i, from: r.partition }), { name: 'tag' })
    .sinkTo(kafkaSink({ brokers, logLevel: 'nothing', topic: env.params.out, key: (v) => String(v.i), name: 'kafka-out' }));
});
