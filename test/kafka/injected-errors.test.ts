// What only librdkafka's mock cluster can do: fail chosen Kafka requests with chosen error codes
// (test/kafka/mock-broker.ts). Everything else of the Kafka suite runs against a real broker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaSink } from '../../src/connectors/kafka/sink.ts';
import { kafkaSource } from '../../src/connectors/kafka/source.ts';
import { expectWeirError } from '../helpers.ts';
import { startMockKafka, type MockKafka } from './mock-broker.ts';
import { collector, pollUntil, produce, sinkCtx, sourceCtx } from './util.ts';

let kafka: MockKafka;
beforeAll(async () => {
  kafka = await startMockKafka({ brokers: 1 });
});
afterAll(async () => kafka?.stop());

describe('injected request errors (mock broker)', () => {
  it('retriable fetch errors (NOT_LEADER_FOR_PARTITION, injected by the mock broker) stall the partition briefly; it resumes at the same offset', async () => {
    await kafka.createTopic('fetch-errors', 1);
    await produce(kafka.bootstrap, 'fetch-errors', Array.from({ length: 300 }, (_, i) => ({ value: JSON.stringify({ i }) })), 100, { idempotent: false });
    const reader = await kafkaSource<{ i: number }>({ brokers: kafka.bootstrap, topic: 'fetch-errors', partitions: 1, logLevel: 'nothing' }).open(0, sourceCtx(0));
    await kafka.pushErrors(1 /* Fetch */, 6, 6, 6); // 6 = NOT_LEADER_FOR_PARTITION
    const c = collector<{ i: number }>();
    await pollUntil(reader, c, 300);
    expect(c.values.map((v) => v.offset)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    await reader.close();
  });

  it('offsetsInTransaction: a TxnOffsetCommit the broker refuses (TOPIC_AUTHORIZATION_FAILED, injected by the mock broker) fails the pre-commit with WEIR_SINK', async () => {
    await kafka.createTopic('txn-offsets', 1);
    await kafka.createTopic('txn-offsets-in', 2);
    const spec = kafkaSink<number>({
      brokers: kafka.bootstrap,
      topic: 'txn-offsets',
      guarantee: 'exactly-once',
      transactionTimeoutMs: 60_000,
      offsetsInTransaction: { source: 'in', topic: 'txn-offsets-in', groupId: 'txn-offsets-group' },
      logLevel: 'nothing',
    });
    const writer = await spec.open(sinkCtx('sink-refused'));
    writer.write(1, NaN, NaN);
    await kafka.pushErrors(28, 29); // TxnOffsetCommit → TOPIC_AUTHORIZATION_FAILED
    await expectWeirError(Promise.resolve(writer.preCommit!(1, { sourcePositions: [{ operatorUid: 'in', partition: 0, position: 16 }] })), 'WEIR_SINK', /cannot add the offsets of group txn-offsets-group/);
    await writer.close();
  });
});
