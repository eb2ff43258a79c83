// Kafka sinks opened in this process against librdkafka's mock broker: partitioning, at-least-once
// flushes, upserts and tombstones, and the exactly-once sink's transactions.
import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaPartitionForKey, murmur2 } from '../../src/util/murmur2.ts';
import { kafkaSink, kafkaUpsertSink } from '../../src/connectors/kafka/sink.ts';
import type { KafkaTransactionNote } from '../../src/connectors/kafka/transactional-writer.ts';
import type { JsonValue } from '../../src/connectors/types.ts';
import { expectWeirError } from '../helpers.ts';
import { startMockKafka, type MockKafka } from './broker.ts';
import { readTopic, sinkCtx } from './util.ts';

let kafka: MockKafka;
beforeAll(async () => {
  kafka = await startMockKafka({ brokers: 1 });
});
afterAll(async () => kafka?.stop());

describe('murmur2 partitioning', () => {
  it("matches the Java client's Utils.murmur2 (Kafka's UtilsTest vectors)", () => {
    const java: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of java) {
      expect(murmur2(key)).toBe(hash);
      expect(kafkaPartitionForKey(key, 7)).toBe((hash & 0x7fffffff) % 7); // Java: toPositive(murmur2(k)) % n
    }
    expect(murmur2(Buffer.from('abc'))).toBe(479470107);
  });

  it("agrees with kafkajs's DefaultPartitioner on 2000 keys of every length", () => {
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: 12 }, (_, i) => ({ partitionId: i, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));
    for (let i = 0; i < 2000; i++) {
      const key = `user-${i}-${'x'.repeat(i % 9)}é`;
      expect(kafkaPartitionForKey(key, 12)).toBe(partitioner({ topic: 't', partitionMetadata, message: { key, value: null } }));
    }
  });

  it('the sink puts each keyed record on its murmur2 partition; a custom partitioner is obeyed', async () => {
    await kafka.createTopic('keyed', 5);
    const spec = kafkaSink<{ user: string }>({ brokers: kafka.bootstrap, topic: 'keyed', key: (v) => v.user });
    const writer = await spec.open(sinkCtx('keyed'));
    for (let i = 0; i < 500; i++) writer.write({ user: `u${i}` }, 1_700_000_000_000 + i, NaN);
    await writer.flush();
    await writer.close();
    const out = await readTopic<{ user: string }>(kafka.bootstrap, 'keyed', 5, 500);
    expect(out).toHaveLength(500);
    for (const r of out) {
      expect(r.key).toBe(r.value.user);
      expect(r.partition).toBe(kafkaPartitionForKey(r.value.user, 5));
    }
    expect(out.find((r) => r.value.user === 'u7')?.timestampMs).toBe(1_700_000_000_007); // event time becomes the record timestamp

    await kafka.createTopic('custom', 3);
    const custom = await kafkaSink<{ n: number }>({ brokers: kafka.bootstrap, topic: 'custom', partitioner: (_k, v, parts) => v.n % parts }).open(sinkCtx('custom'));
    for (let n = 0; n < 30; n++) custom.write({ n }, NaN, NaN);
    await custom.close(); // close flushes
    for (const r of await readTopic<{ n: number }>(kafka.bootstrap, 'custom', 3, 30)) expect(r.partition).toBe(r.value.n % 3);
  });
});

describe('kafkaSink, at-least-once', () => {
  it('flush() makes everything written visible; the creation time can travel as a header', async () => {
    await kafka.createTopic('alo', 1);
    const writer = await kafkaSink<number>({ brokers: kafka.bootstrap, topic: 'alo', createdHeader: true }).open(sinkCtx('alo'));
    for (let i = 0; i < 25_000; i++) writer.write(i, NaN, 1_700_000_000_000.25); // more than one buffer: sends start before flush
    await writer.flush();
    const out = await readTopic<number>(kafka.bootstrap, 'alo', 1, 25_000);
    expect(out.map((r) => r.value)).toEqual(Array.from({ length: 25_000 }, (_, i) => i));
    expect(out[0].headers['weir-created-ms']).toBe('1700000000000.25');
    expect(writer.result?.()).toEqual({ records: 25_000, sent: 25_000 });
    await writer.close();
  });

});

describe('kafkaUpsertSink', () => {
  it('writes the latest value per key of each flush, and a tombstone (null value) for a delete', async () => {
    await kafka.createTopic('table', 2);
    type Row = { id: string; n: number; deleted?: boolean };
    const writer = await kafkaUpsertSink<Row>({ brokers: kafka.bootstrap, topic: 'table', key: (r) => r.id, upsertValue: (r) => (r.deleted ? null : { n: r.n }) }).open(sinkCtx('table'));
    writer.write({ id: 'a', n: 1 }, NaN, NaN);
    writer.write({ id: 'b', n: 1 }, NaN, NaN);
    writer.write({ id: 'a', n: 2 }, NaN, NaN);
    writer.write({ id: 'c', n: 1 }, NaN, NaN);
    writer.write({ id: 'c', n: 0, deleted: true }, NaN, NaN);
    await writer.flush();
    writer.write({ id: 'b', n: 5 }, NaN, NaN);
    await writer.close();
    const out = await readTopic<{ n: number } | null>(kafka.bootstrap, 'table', 2, 4);
    const byKey = (k: string) => out.filter((r) => r.key === k).map((r) => r.value);
    expect(byKey('a')).toEqual([{ n: 2 }]);
    expect(byKey('b')).toEqual([{ n: 1 }, { n: 5 }]);
    expect(byKey('c')).toEqual([null]);
    for (const r of out) expect(r.partition).toBe(kafkaPartitionForKey(r.key!, 2));
  });
});

describe('kafkaSink, exactly-once (Kafka transactions)', () => {
  const eo = (topic: string) => kafkaSink<number>({ brokers: kafka.bootstrap, topic, guarantee: 'exactly-once', transactionTimeoutMs: 60_000 });

  it(
    'preCommit notes the transaction, commit commits it, the next checkpoint uses the next id of the pool, close aborts the open one ' +
      '(the mock cannot show: that read_committed consumers do not see records before the commit or after an abort — it returns them anyway)',
    async () => {
      await kafka.createTopic('eo', 1);
      const spec = eo('eo');
      expect(spec.guarantee).toBe('exactly-once');
      const writer = await spec.open(sinkCtx('sink-a', 0));
      expect(await writer.preCommit!(1)).toBeNull(); // nothing written: nothing to commit
      for (let i = 0; i < 100; i++) writer.write(i, NaN, NaN);
      await writer.flush(); // into the open transaction
      const note1 = (await writer.preCommit!(2)) as unknown as KafkaTransactionNote;
      expect(note1).toMatchObject({ transactionalId: 'sink-a-0-0', checkpointId: 2, producerEpoch: expect.any(Number) });
      expect(note1.producerId).toMatch(/^\d+$/);
      for (let i = 100; i < 150; i++) writer.write(i, NaN, NaN);
      const note2 = (await writer.preCommit!(3)) as unknown as KafkaTransactionNote;
      expect(note2.transactionalId).toBe('sink-a-0-1');
      await writer.commit!(3); // commits both pre-committed transactions
      await writer.commit!(3); // idempotent
      for (let i = 150; i < 160; i++) writer.write(i, NaN, NaN);
      await writer.flush();
      await writer.close(); // aborts the open transaction of 150..159
      expect(writer.result?.()).toMatchObject({ records: 160, committed: 2 });
      const out = await readTopic<number>(kafka.bootstrap, 'eo', 1, 160);
      expect(out.slice(0, 150).map((r) => r.value)).toEqual(Array.from({ length: 150 }, (_, i) => i));
    },
  );

  it(
    'on recovery, open() commits the transactions noted in the checkpoint with their producer id and epoch, then initialises its ids ' +
      '(the mock cannot show: fencing of the old producer, the abort of its open transaction by InitProducerId, or a commit refused after the transaction timeout)',
    async () => {
      await kafka.createTopic('eo-rec', 2);
      const before = await eo('eo-rec').open(sinkCtx('sink-b', 1, 2));
      for (let i = 0; i < 20; i++) before.write(i, NaN, NaN);
      const note = await before.preCommit!(7);
      // The process dies here: checkpoint 7 completed, commit() never ran.
      const recovery = { checkpointId: 7, notes: [{ subtask: 1, note: note as JsonValue }, { subtask: 0, note: null }] };
      const after = await eo('eo-rec').open(sinkCtx('sink-b', 1, 2, recovery));
      expect(after.result?.()).toMatchObject({ recoveredCommitted: 1, recoveredMissing: 0 });
      // A subtask is responsible only for notes of subtasks that map to it.
      const other = await eo('eo-rec').open(sinkCtx('sink-b', 0, 2, recovery));
      expect(other.result?.()).toMatchObject({ recoveredCommitted: 0 });
      await Promise.all([after.close(), other.close()]);
      await before.close();
    },
  );

  it(
    "offsetsInTransaction: the cut's source positions go into the transaction (AddOffsetsToTxn + TxnOffsetCommit), unchanged ones are not sent again, a transaction is begun for offsets alone, a refused TxnOffsetCommit fails the pre-commit " +
      "(the mock cannot show: the group's offsets after the commit — its TxnOffsetCommit accepts the offsets and drops them)",
    async () => {
      await kafka.createTopic('eo-cp', 1);
      await kafka.createTopic('eo-cp-in', 2);
      const spec = kafkaSink<number>({
        brokers: kafka.bootstrap,
        topic: 'eo-cp',
        guarantee: 'exactly-once',
        transactionTimeoutMs: 60_000,
        offsetsInTransaction: { source: 'in', topic: 'eo-cp-in', groupId: 'eo-cp-group' },
        logLevel: 'nothing',
      });
      const at = (...offsets: number[]) => ({ sourcePositions: [...offsets.map((position, partition) => ({ operatorUid: 'in', partition, position })), { operatorUid: 'other', partition: 0, position: 99 }] });
      const writer = await spec.open(sinkCtx('sink-o'));
      writer.write(1, NaN, NaN);
      expect(await writer.preCommit!(1, at(10, 20))).toMatchObject({ transactionalId: 'sink-o-0-0', checkpointId: 1 });
      await writer.commit!(1);
      expect(await writer.preCommit!(2, at(10, 20))).toBeNull(); // nothing written, offsets unchanged: no transaction
      expect(await writer.preCommit!(3, at(15, 20))).toMatchObject({ checkpointId: 3 }); // nothing written, the source moved on
      await writer.commit!(3);
      await kafka.pushErrors(28, 29); // TxnOffsetCommit → TOPIC_AUTHORIZATION_FAILED
      await expectWeirError(Promise.resolve(writer.preCommit!(4, at(16, 20))), 'WEIR_SINK', /cannot add the offsets of group eo-cp-group/);
      await writer.close();
      expect(() => kafkaSink({ brokers: kafka.bootstrap, topic: 'x', offsetsInTransaction: { source: 'in', topic: 'y', groupId: 'g' } })).toThrow(/exactly-once/);
    },
  );

  it('refuses a further transaction while every id of the pool holds a pre-committed one', async () => {
    await kafka.createTopic('eo-pool', 1);
    const writer = await eo('eo-pool').open(sinkCtx('sink-c'));
    for (let c = 1; c <= 3; c++) {
      writer.write(c, NaN, NaN);
      await writer.preCommit!(c);
    }
    writer.write(4, NaN, NaN);
    await expectWeirError(Promise.resolve(writer.flush()), 'WEIR_SINK', /pre-committed and not yet committed/);
    await writer.commit!(3);
    await writer.flush();
    await writer.close();
  });
});
