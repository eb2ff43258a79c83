// Kafka sinks opened in this process against the run's real Kafka broker: partitioning,
// at-least-once flushes, upserts and tombstones, and the exactly-once sink's transactions as a
// read_committed reader sees them, fencing, and the group offsets committed in its transactions.
import { Partitioners } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { kafkaPartitionForKey, murmur2 } from '../../src/util/murmur2.ts';
import { kafkaSink, kafkaUpsertSink } from '../../src/connectors/kafka/sink.ts';
import type { KafkaSinkNote } from '../../src/connectors/kafka/transactional-writer.ts';
import type { JsonValue } from '../../src/connectors/types.ts';
import { expectWeirError } from '../helpers.ts';
import { sharedKafka, uniqueTopic, type SharedKafka } from './shared-broker.ts';
import { groupOffsets, readCommitted, readTopic, sinkCtx } from './util.ts';

let kafka: SharedKafka;
beforeAll(async () => {
  kafka = await sharedKafka();
});

/** A fresh topic of `partitions` partitions. */
async function topic(base: string, partitions: number): Promise<string> {
  const name = uniqueTopic(base);
  await kafka.createTopic(name, partitions);
  return name;
}

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
    const keyed = await topic('keyed', 5);
    const spec = kafkaSink<{ user: string }>({ brokers: kafka.bootstrap, topic: keyed, key: (v) => v.user });
    const writer = await spec.open(sinkCtx('keyed'));
    for (let i = 0; i < 500; i++) writer.write({ user: `u${i}` }, 1_700_000_000_000 + i, NaN);
    await writer.flush();
    await writer.close();
    const out = await readTopic<{ user: string }>(kafka.bootstrap, keyed, 5, 500);
    // At-least-once: a send that kafkajs retries (a partition not yet ready on a brand-new topic)
    // may repeat records; each user is there, each copy on its partition.
    expect(new Set(out.map((r) => r.value.user)).size).toBe(500);
    for (const r of out) {
      expect(r.key).toBe(r.value.user);
      expect(r.partition).toBe(kafkaPartitionForKey(r.value.user, 5));
    }
    expect(out.find((r) => r.value.user === 'u7')?.timestampMs).toBe(1_700_000_000_007); // event time becomes the record timestamp

    const customTopic = await topic('custom', 3);
    const custom = await kafkaSink<{ n: number }>({ brokers: kafka.bootstrap, topic: customTopic, partitioner: (_k, v, parts) => v.n % parts }).open(sinkCtx('custom'));
    for (let n = 0; n < 30; n++) custom.write({ n }, NaN, NaN);
    await custom.close(); // close flushes
    for (const r of await readTopic<{ n: number }>(kafka.bootstrap, customTopic, 3, 30)) expect(r.partition).toBe(r.value.n % 3);
  });
});

describe('kafkaSink, at-least-once', () => {
  it('flush() makes everything written visible; the creation time can travel as a header', async () => {
    const alo = await topic('alo', 1);
    const writer = await kafkaSink<number>({ brokers: kafka.bootstrap, topic: alo, createdHeader: true }).open(sinkCtx('alo'));
    for (let i = 0; i < 25_000; i++) writer.write(i, NaN, 1_700_000_000_000.25); // more than one buffer: sends start before flush
    await writer.flush();
    const out = await readTopic<number>(kafka.bootstrap, alo, 1, 25_000);
    expect(out.map((r) => r.value)).toEqual(Array.from({ length: 25_000 }, (_, i) => i));
    expect(out[0].headers['weir-created-ms']).toBe('1700000000000.25');
    expect(writer.result?.()).toEqual({ records: 25_000, sent: 25_000 });
    await writer.close();
  });

});

describe('kafkaUpsertSink', () => {
  it('a buffer of more than a broker takes in one request (3 MB) goes in several sends, in order', async () => {
    const big = await topic('alo-big', 1);
    const writer = await kafkaSink<string>({ brokers: kafka.bootstrap, topic: big, logLevel: 'nothing' }).open(sinkCtx('alo-big'));
    const value = (i: number) => `${i}:${'x'.repeat(290)}`;
    for (let i = 0; i < 10_000; i++) writer.write(value(i), NaN, NaN);
    await writer.flush();
    await writer.close();
    expect((await readTopic<string>(kafka.bootstrap, big, 1, 10_000)).map((r) => r.value)).toEqual(Array.from({ length: 10_000 }, (_, i) => value(i)));
  });

  it('writes the latest value per key of each flush, and a tombstone (null value) for a delete', async () => {
    const table = await topic('table', 2);
    type Row = { id: string; n: number; deleted?: boolean };
    const writer = await kafkaUpsertSink<Row>({ brokers: kafka.bootstrap, topic: table, key: (r) => r.id, upsertValue: (r) => (r.deleted ? null : { n: r.n }) }).open(sinkCtx('table'));
    writer.write({ id: 'a', n: 1 }, NaN, NaN);
    writer.write({ id: 'b', n: 1 }, NaN, NaN);
    writer.write({ id: 'a', n: 2 }, NaN, NaN);
    writer.write({ id: 'c', n: 1 }, NaN, NaN);
    writer.write({ id: 'c', n: 0, deleted: true }, NaN, NaN);
    await writer.flush();
    writer.write({ id: 'b', n: 5 }, NaN, NaN);
    await writer.close();
    const out = await readTopic<{ n: number } | null>(kafka.bootstrap, table, 2, 4);
    const byKey = (k: string) => out.filter((r) => r.key === k).map((r) => r.value);
    expect(byKey('a')).toEqual([{ n: 2 }]);
    expect(byKey('b')).toEqual([{ n: 1 }, { n: 5 }]);
    expect(byKey('c')).toEqual([null]);
    for (const r of out) expect(r.partition).toBe(kafkaPartitionForKey(r.key!, 2));
  });
});

describe('kafkaSink, exactly-once (Kafka transactions)', () => {
  const eo = (topic: string) => kafkaSink<number>({ brokers: kafka.bootstrap, topic, guarantee: 'exactly-once', transactionTimeoutMs: 60_000, logLevel: 'nothing' });

  it('preCommit notes the transaction, commit commits it, the next checkpoint uses the next id of the pool, close aborts the open one; a read_committed reader sees nothing before the commit and never the aborted records', async () => {
    const eoTopic = await topic('eo', 1);
    const spec = eo(eoTopic);
    expect(spec.guarantee).toBe('exactly-once');
    const sinkUid = uniqueTopic('sink-a');
    const writer = await spec.open(sinkCtx(sinkUid, 0));
    expect(await writer.preCommit!(1)).toBeNull(); // nothing written: nothing to commit
    for (let i = 0; i < 100; i++) writer.write(i, NaN, NaN);
    await writer.flush(); // into the open transaction
    expect(await readCommitted<number>(kafka.bootstrap, eoTopic, 1)).toEqual([]); // in Kafka, not visible
    const note1 = (await writer.preCommit!(2)) as unknown as KafkaSinkNote;
    expect(note1.transactions).toEqual([expect.objectContaining({ transactionalId: `${sinkUid}-0-0`, checkpointId: 2, producerEpoch: expect.any(Number) })]);
    expect(note1.transactions[0].producerId).toMatch(/^\d+$/);
    for (let i = 100; i < 150; i++) writer.write(i, NaN, NaN);
    const note2 = (await writer.preCommit!(3)) as unknown as KafkaSinkNote;
    // Checkpoint 2's transaction is not committed yet: checkpoint 3's note lists it too, oldest first.
    expect(note2.transactions.map((t) => [t.transactionalId, t.checkpointId])).toEqual([[`${sinkUid}-0-0`, 2], [`${sinkUid}-0-1`, 3]]);
    expect(await readCommitted<number>(kafka.bootstrap, eoTopic, 1)).toEqual([]); // pre-committed is not committed
    await writer.commit!(3); // commits both pre-committed transactions
    await writer.commit!(3); // idempotent
    for (let i = 150; i < 160; i++) writer.write(i, NaN, NaN);
    await writer.flush();
    await writer.close(); // aborts the open transaction of 150..159
    expect(writer.result?.()).toMatchObject({ records: 160, committed: 2 });
    // Every record is in the log (read_uncommitted)…
    expect((await readTopic<number>(kafka.bootstrap, eoTopic, 1, 160)).map((r) => r.value)).toEqual(Array.from({ length: 160 }, (_, i) => i));
    // …and read_committed sees the committed ones only, each once: the aborted 150..159 never.
    expect(await readCommitted<number>(kafka.bootstrap, eoTopic, 1, 150)).toEqual(Array.from({ length: 150 }, (_, i) => i));
  });

  it('a flush of more than a broker takes in one request (3 MB buffered: MESSAGE_TOO_LARGE before) goes in several sends within the transaction, and commits whole', async () => {
    const big = await topic('eo-big', 1);
    const writer = await kafkaSink<string>({ brokers: kafka.bootstrap, topic: big, guarantee: 'exactly-once', transactionTimeoutMs: 60_000, logLevel: 'nothing' }).open(sinkCtx(uniqueTopic('sink-big'), 0));
    const value = (i: number) => `${i}:${'x'.repeat(290)}`;
    for (let i = 0; i < 10_000; i++) writer.write(value(i), NaN, NaN); // ~3 MB, one partition
    await writer.preCommit!(1);
    await writer.commit!(1);
    await writer.close();
    const out = await readCommitted<string>(kafka.bootstrap, big, 1, 10_000);
    expect(out).toHaveLength(10_000);
    expect(out[9_999]).toBe(value(9_999));
  });

  it('on recovery, open() commits the transactions noted in the checkpoint with their producer id and epoch, aborts what the old run left open, and fences the old producers: a zombie that wakes up cannot commit', async () => {
    const recTopic = await topic('eo-rec', 2);
    const sinkUid = uniqueTopic('sink-b');
    const before = await eo(recTopic).open(sinkCtx(sinkUid, 1, 2));
    for (let i = 0; i < 20; i++) before.write(i, NaN, NaN);
    const note = await before.preCommit!(7);
    for (let i = 20; i < 30; i++) before.write(i, NaN, NaN);
    await before.flush(); // the next transaction, open when the process stops answering
    // The process hangs here: checkpoint 7 completed, commit() never ran. The job restarts.
    const recovery = { checkpointId: 7, notes: [{ subtask: 1, note: note as JsonValue }, { subtask: 0, note: null }] };
    const after = await eo(recTopic).open(sinkCtx(sinkUid, 1, 2, recovery));
    expect(after.result?.()).toMatchObject({ recoveredCommitted: 1, recoveredMissing: 0 });
    // A subtask is responsible only for notes of subtasks that map to it.
    const other = await eo(recTopic).open(sinkCtx(sinkUid, 0, 2, recovery));
    expect(other.result?.()).toMatchObject({ recoveredCommitted: 0 });
    // The zombie wakes up: its open transaction was aborted and its producer fenced.
    for (let i = 30; i < 40; i++) before.write(i, NaN, NaN);
    const zombie = await Promise.resolve()
      .then(async () => {
        await before.preCommit!(8);
        await before.commit!(8);
      })
      .then(() => undefined, (e: unknown) => e as Error);
    expect(zombie).toBeInstanceOf(Error);
    expect(String(zombie)).toMatch(/fenced|epoch|INVALID_PRODUCER_EPOCH|PRODUCER_FENCED|INVALID_TXN_STATE/i);
    await Promise.all([after.close(), other.close(), before.close()]);
    // What read_committed sees: checkpoint 7's records, once; nothing of the aborted or the zombie's.
    const seen = (await readCommitted<number>(kafka.bootstrap, recTopic, 2, 20)).sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("recovery after commit(c) ran and the same transactional id took the next records: committing checkpoint c's note again does not commit the newer transaction (each transaction on an id has its own producer epoch)", async () => {
    const reuseTopic = await topic('eo-reuse', 1);
    const sinkUid = uniqueTopic('sink-r');
    const before = await eo(reuseTopic).open(sinkCtx(sinkUid));
    for (let i = 0; i < 10; i++) before.write(i, NaN, NaN);
    const note = (await before.preCommit!(7)) as unknown as KafkaSinkNote;
    await before.commit!(7); // checkpoint 7 completed and its transaction committed
    for (let i = 10; i < 20; i++) before.write(i, NaN, NaN);
    await before.flush(); // records after the cut, in a new transaction on the freed id
    expect(((await before.preCommit!(8)) as unknown as KafkaSinkNote).transactions).toEqual([expect.objectContaining({ transactionalId: note.transactions[0].transactionalId })]);
    // The process dies before checkpoint 8 completes: the job restarts from checkpoint 7.
    const after = await eo(reuseTopic).open(sinkCtx(sinkUid, 0, 1, { checkpointId: 7, notes: [{ subtask: 0, note: note as unknown as JsonValue }] }));
    await after.close();
    // Records 10..19 are replayed from the sources by the restarted job: Kafka must not show them from the old run.
    expect(await readCommitted<number>(kafka.bootstrap, reuseTopic, 1, 10)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    await before.close();
  });

  it('a checkpoint taken before the previous one was committed notes both transactions: a restart from it commits the earlier one too (a worker takes its part in checkpoint c+1 before it commits c, and that commit may fail)', async () => {
    const lateTopic = await topic('eo-late', 1);
    const sinkUid = uniqueTopic('sink-l');
    const before = await eo(lateTopic).open(sinkCtx(sinkUid));
    for (let i = 0; i < 10; i++) before.write(i, NaN, NaN);
    await before.preCommit!(4);
    // Checkpoint 4 completed; before this worker ran commit(4) it took its part in checkpoint 5,
    // with nothing written since. Then commit(4) failed (the broker was down) and the job
    // restarts from checkpoint 5, which completed meanwhile.
    const note5 = await before.preCommit!(5);
    expect((note5 as unknown as KafkaSinkNote).transactions.map((t) => t.checkpointId)).toEqual([4]);
    await before.close();
    const after = await eo(lateTopic).open(sinkCtx(sinkUid, 0, 1, { checkpointId: 5, notes: [{ subtask: 0, note: note5 as JsonValue }] }));
    expect(after.result?.()).toMatchObject({ recoveredCommitted: 1, recoveredMissing: 0 });
    await after.close();
    // The sources resume after checkpoint 5 and do not replay 0..9: Kafka must show them.
    expect(await readCommitted<number>(kafka.bootstrap, lateTopic, 1, 10)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('a note stored before notes listed transactions (one bare transaction) is still committed on recovery', async () => {
    const oldTopic = await topic('eo-old-note', 1);
    const sinkUid = uniqueTopic('sink-old');
    const before = await eo(oldTopic).open(sinkCtx(sinkUid));
    for (let i = 0; i < 5; i++) before.write(i, NaN, NaN);
    const [bare] = ((await before.preCommit!(2)) as unknown as KafkaSinkNote).transactions;
    await before.close();
    const after = await eo(oldTopic).open(sinkCtx(sinkUid, 0, 1, { checkpointId: 2, notes: [{ subtask: 0, note: bare as unknown as JsonValue }] }));
    expect(after.result?.()).toMatchObject({ recoveredCommitted: 1 });
    await after.close();
    expect(await readCommitted<number>(kafka.bootstrap, oldTopic, 1, 5)).toEqual([0, 1, 2, 3, 4]);
  });

  it("offsetsInTransaction: the cut's source positions go into the transaction and are the group's offsets once it commits (read back with the admin client); unchanged ones are not sent again; offsets alone begin a transaction; an aborted transaction commits none", async () => {
    const out = await topic('eo-cp', 1);
    const input = await topic('eo-cp-in', 2);
    const groupId = uniqueTopic('eo-cp-group');
    const spec = kafkaSink<number>({
      brokers: kafka.bootstrap,
      topic: out,
      guarantee: 'exactly-once',
      transactionTimeoutMs: 60_000,
      offsetsInTransaction: { source: 'in', topic: input, groupId },
      logLevel: 'nothing',
    });
    const at = (...offsets: number[]) => ({ sourcePositions: [...offsets.map((position, partition) => ({ operatorUid: 'in', partition, position })), { operatorUid: 'other', partition: 0, position: 99 }] });
    const sinkUid = uniqueTopic('sink-o');
    const writer = await spec.open(sinkCtx(sinkUid));
    writer.write(1, NaN, NaN);
    expect(await writer.preCommit!(1, at(10, 20))).toEqual({ transactions: [expect.objectContaining({ transactionalId: `${sinkUid}-0-0`, checkpointId: 1 })] });
    expect(await groupOffsets(kafka.bootstrap, groupId, input)).toEqual([-1, -1]); // pre-committed: not yet
    await writer.commit!(1);
    expect(await groupOffsets(kafka.bootstrap, groupId, input)).toEqual([10, 20]);
    expect(await writer.preCommit!(2, at(10, 20))).toBeNull(); // nothing written, offsets unchanged: no transaction
    expect(await writer.preCommit!(3, at(15, 20))).toEqual({ transactions: [expect.objectContaining({ checkpointId: 3 })] }); // nothing written, the source moved on
    await writer.commit!(3);
    expect(await groupOffsets(kafka.bootstrap, groupId, input)).toEqual([15, 20]);
    writer.write(2, NaN, NaN);
    await writer.preCommit!(4, at(16, 25));
    await writer.close(); // checkpoint 4 never completes here: its transaction stays open…
    const recovered = await spec.open(sinkCtx(sinkUid, 0, 1, { checkpointId: 3, notes: [{ subtask: 0, note: null }] }));
    await recovered.close(); // …until a restart from checkpoint 3 aborts it, and its offsets with it
    expect(await groupOffsets(kafka.bootstrap, groupId, input)).toEqual([15, 20]);
    expect(await readCommitted<number>(kafka.bootstrap, out, 1, 1)).toEqual([1]);
    expect(() => kafkaSink({ brokers: kafka.bootstrap, topic: 'x', offsetsInTransaction: { source: 'in', topic: 'y', groupId: 'g' } })).toThrow(/exactly-once/);
  });

  it("offsetsInTransaction right after a commit on the same transactional id: the coordinator's CONCURRENT_TRANSACTIONS (still completing the previous transaction) is retried, not a failed pre-commit", async () => {
    const out = await topic('eo-busy', 1);
    const input = await topic('eo-busy-in', 1);
    const groupId = uniqueTopic('eo-busy-group');
    const spec = kafkaSink<number>({ brokers: kafka.bootstrap, topic: out, guarantee: 'exactly-once', transactionTimeoutMs: 60_000, offsetsInTransaction: { source: 'in', topic: input, groupId }, logLevel: 'nothing' });
    const writer = await spec.open(sinkCtx(uniqueTopic('sink-busy')));
    // Offsets alone: the transaction begins with AddOffsetsToTxn, on the id just committed (the first free one).
    for (let c = 1; c <= 30; c++) {
      await writer.preCommit!(c, { sourcePositions: [{ operatorUid: 'in', partition: 0, position: c }] });
      await writer.commit!(c);
    }
    await writer.close();
    expect(await groupOffsets(kafka.bootstrap, groupId, input)).toEqual([30]);
  });

  it('refuses a further transaction while every id of the pool holds a pre-committed one', async () => {
    const pool = await topic('eo-pool', 1);
    const writer = await eo(pool).open(sinkCtx(uniqueTopic('sink-c')));
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
