// Kafka → keyBy(record key) → running count per key → Kafka, exactly-once, for the end-to-end
// exactly-once test (test/kafka/exactly-once.test.ts).
//
// Each output record is { k, n, p, o, a }: key k has now been seen n times, because of input
// record (partition p, offset o), emitted by attempt a of the job — a is 1 + the number of fault
// markers that exist when the worker thread loads this module (every attempt starts fresh
// threads), which lets the test tell what a failed attempt wrote from what a restarted one did.
//
// Params: brokers (comma-separated), in, out, partitions, groupId, markers (a directory),
// failAt (input values i, comma-separated, at each of which the job fails once), offsets ('source': the source commits
// the group's offsets after each checkpoint, the default; 'transaction': the sink commits them
// inside its transactions).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineJob } from '../../src/api/index.ts';
import { kafkaSink, kafkaSource, type KafkaRecord } from '../../src/connectors/index.ts';
import type { SourceSpec } from '../../src/connectors/types.ts';
import { failsFirstTime } from './fails-first-time.ts';

type In = { k: string; i: number };
export type CountOut = { k: string; n: number; p: number; o: number; a: number };

export default defineJob((env) => {
  const brokers = env.params.brokers.split(',');
  const failAt = (env.params.failAt ?? '').split(',').filter((v) => v !== '').map(Number);
  const marker = (i: number) => join(env.params.markers, `fault-${i}`);
  const attempt = 1 + failAt.filter((i) => existsSync(marker(i))).length;
  const inTransaction = env.params.offsets === 'transaction';
  env
    .source(
      kafkaSource<In>({ brokers, topic: env.params.in, partitions: env.numberParam('partitions', 4), groupId: inTransaction ? undefined : env.params.groupId, envelope: true, logLevel: 'nothing' }) as unknown as SourceSpec<KafkaRecord<In>>,
      { name: 'kafka-in' },
    )
    .map((r) => {
      if (failAt.includes(r.value.i) && failsFirstTime(marker(r.value.i))) throw new Error(`injected failure at input ${r.value.i}`);
      return r;
    }, { name: 'inject' })
    .keyBy((r) => r.key ?? '', { name: 'by-key' })
    .process<CountOut>((r, ctx) => {
      const seen = ctx.valueState<number>('seen');
      const n = (seen.value() ?? 0) + 1;
      seen.update(n);
      ctx.emit({ k: r.key ?? '', n, p: r.partition, o: r.offset, a: attempt });
    }, { name: 'running-count' })
    .sinkTo(kafkaSink<CountOut>({
      brokers,
      topic: env.params.out,
      key: (v) => v.k,
      guarantee: 'exactly-once',
      transactionTimeoutMs: 60_000,
      name: 'kafka-out',
      logLevel: 'nothing',
      offsetsInTransaction: inTransaction ? { source: 'kafka-in', topic: env.params.in, groupId: env.params.groupId } : undefined,
    }));
});
