// The Kafka source's reader, in this process, against the run's real Kafka broker (test/kafka/shared-broker.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import { kafkaPartitionCount, kafkaSource, kafkaSourceFor } from '../../src/connectors/kafka/source.ts';
import type { KafkaPartitionReader } from '../../src/connectors/kafka/reader.ts';
import { WeirError } from '../../src/errors.ts';
import { limits } from '../../src/limits.ts';
import { expectWeirError } from '../helpers.ts';
import { sharedKafka, uniqueTopic, type SharedKafka } from './shared-broker.ts';
import { client, collector, pollUntil, produce, sleep, sourceCtx } from './util.ts';

let kafka: SharedKafka;
const numbers = uniqueTopic('numbers');
const json = (i: number, p = 0) => ({ value: JSON.stringify({ i }), partition: p });

beforeAll(async () => {
  kafka = await sharedKafka();
  await kafka.createTopic(numbers, 2);
  // 300 records per partition, in batches of 100, with increasing timestamps.
  const base = 1_700_000_000_000;
  for (const p of [0, 1]) {
    await produce(kafka.bootstrap, numbers, Array.from({ length: 300 }, (_, i) => ({ ...json(i, p), timestamp: String(base + i * 1000) })), 100);
  }
});

const source = (extra: object = {}) => kafkaSource<{ i: number }>({ brokers: kafka.bootstrap, topic: numbers, partitions: 2, logLevel: 'nothing', ...extra });
type Reader = KafkaPartitionReader<{ i: number }>;

describe('kafkaSource start positions and resuming', () => {
  it("'earliest' reads a partition from offset 0 in order, with Kafka's timestamps; position() is the next offset", async () => {
    const reader = (await source().open(1, sourceCtx(1))) as Reader;
    const c = collector<{ i: number }>();
    await pollUntil(reader, c, 300);
    expect(c.values.map((v) => v.value.i)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(c.values.map((v) => v.offset)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(c.values[5].timestampMs).toBe(1_700_000_005_000);
    expect(Number.isNaN(c.values[0].createdMs)).toBe(true);
    expect(reader.position()).toBe(300);
    expect(reader.lag()).toBe(0);
    await reader.close();
  });

  it('resumes exactly at a position it returned', async () => {
    const first = (await source().open(0, sourceCtx(0))) as Reader;
    const a = collector<{ i: number }>();
    await pollUntil(first, a, 120, 10_000, 40); // 3 polls of 40
    const at = first.position();
    expect(at).toBe(120);
    expect(first.lag()).toBe(180); // 300 in the partition, 120 emitted
    await first.close();
    const second = (await source().open(0, sourceCtx(0), JSON.parse(JSON.stringify(at)))) as Reader;
    const b = collector<{ i: number }>();
    await pollUntil(second, b, 180);
    expect([...a.values, ...b.values].map((v) => v.value.i)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    await second.close();
  });

  it("'latest' reads only what is produced after the open", async () => {
    const latest = uniqueTopic('latest');
    await kafka.createTopic(latest, 1);
    await produce(kafka.bootstrap, latest, [json(1), json(2)]);
    const reader = await kafkaSource<{ i: number }>({ brokers: kafka.bootstrap, topic: latest, partitions: 1, start: 'latest' }).open(0, sourceCtx(0));
    expect(reader.position()).toBe(2);
    await produce(kafka.bootstrap, latest, [json(3)]);
    const c = collector<{ i: number }>();
    await pollUntil(reader, c, 1);
    expect(c.values.map((v) => [v.value.i, v.offset])).toEqual([[3, 2]]);
    await reader.close();
  });

  it('{ timestampMs } starts at the first record at or after it (the end when no record is that late); { offsets } starts at the given offset', async () => {
    // Record i of each partition has the timestamp base + i s: ListOffsets by timestamp finds it.
    for (const [timestampMs, offset] of [[1_700_000_250_000, 250], [1_700_000_250_001, 251], [1_600_000_000_000, 0], [1_700_000_299_000, 299]]) {
      const reader = await source({ start: { timestampMs } }).open(0, sourceCtx(0));
      expect(reader.position()).toBe(offset);
      const c = collector<{ i: number }>();
      await pollUntil(reader, c, 1, 10_000, 1);
      expect(c.values[0]).toMatchObject({ offset, value: { i: offset }, timestampMs: 1_700_000_000_000 + offset * 1000 });
      await reader.close();
    }
    const afterEnd = await source({ start: { timestampMs: 1_800_000_000_000 } }).open(0, sourceCtx(0));
    expect(afterEnd.position()).toBe(300);
    await afterEnd.close();
    const byOffset = await source({ start: { offsets: { 1: 42 } } }).open(1, sourceCtx(1));
    const c = collector<{ i: number }>();
    await pollUntil(byOffset, c, 1, 10_000, 1);
    expect(c.values[0]).toMatchObject({ offset: 42, value: { i: 42 } });
    await byOffset.close();
    const unlisted = await source({ start: { offsets: { 1: 42 } } }).open(0, sourceCtx(0));
    expect(unlisted.position()).toBe(0);
    await unlisted.close();
  });

  it("commitPosition commits to the consumer group (lag tooling sees it); 'committed' starts there", async () => {
    const groupId = uniqueTopic('weir-g1');
    const reader = (await source({ groupId }).open(1, sourceCtx(1))) as Reader;
    await reader.commitPosition(77);
    await reader.close();
    const admin = client(kafka.bootstrap).admin();
    await admin.connect();
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [numbers] });
    await admin.disconnect();
    expect(offsets.partitions.find((p) => p.partition === 1)?.offset).toBe('77');
    const resumed = await source({ groupId, start: 'committed' }).open(1, sourceCtx(1));
    expect(resumed.position()).toBe(77);
    await resumed.close();
    const none = await source({ groupId, start: 'committed' }).open(0, sourceCtx(0));
    expect(none.position()).toBe(0); // nothing committed for partition 0: the earliest
    await none.close();
  });
});

describe('kafkaSource partition count', () => {
  it('is discovered by kafkaSourceFor / kafkaPartitionCount, required otherwise, and checked at open', async () => {
    expect(await kafkaPartitionCount({ brokers: kafka.bootstrap }, numbers)).toBe(2);
    expect((await kafkaSourceFor({ brokers: kafka.bootstrap, topic: numbers })).partitions()).toBe(2);
    const undeclared = kafkaSource({ brokers: kafka.bootstrap, topic: numbers });
    expect(() => undeclared.partitions()).toThrow(/kafkaSourceFor/);
    const wrong = kafkaSource({ brokers: kafka.bootstrap, topic: numbers, partitions: 3 });
    await expectWeirError(Promise.resolve(wrong.open(0, sourceCtx(0))), 'WEIR_CONFIG', /has 2 partitions but the source declares 3/);
  });
});

describe('kafkaSource records', () => {
  it('sends a record that does not decode to the dead letters with topic, partition and offset, and goes on', async () => {
    const mixed = uniqueTopic('mixed');
    await kafka.createTopic(mixed, 1);
    await produce(kafka.bootstrap, mixed, [json(0), { value: '{not json' }, json(2), { value: null, key: 'k' }]);
    const reader = await kafkaSource({ brokers: kafka.bootstrap, topic: mixed, partitions: 1 }).open(0, sourceCtx(0));
    const c = collector<unknown>();
    await pollUntil(reader, c, 4);
    expect(c.values.map((v) => [v.offset, v.value])).toEqual([[0, { i: 0 }], [2, { i: 2 }], [3, null]]); // a tombstone is null
    expect(c.dead).toHaveLength(1);
    expect(c.dead[0].offset).toBe(1);
    expect(c.dead[0].raw).toBe('{not json');
    expect(c.dead[0].reason).toMatch(new RegExp(`topic ${mixed} partition 0 at offset 1`));
    await reader.close();
  });

  it('envelope: true gives key, value, partition, offset, timestamp and headers; the weir-created-ms header becomes createdMs', async () => {
    const envelope = uniqueTopic('envelope');
    await kafka.createTopic(envelope, 1);
    await produce(kafka.bootstrap, envelope, [{ key: 'k1', value: '"v"', timestamp: '1700000000123', headers: { 'weir-created-ms': '1700000000100.5', other: 'x' } }]);
    const reader = await kafkaSource({ brokers: kafka.bootstrap, topic: envelope, partitions: 1, envelope: true }).open(0, sourceCtx(0));
    const c = collector<unknown>();
    await pollUntil(reader, c, 1);
    expect(c.values[0].value).toEqual({ key: 'k1', value: 'v', partition: 0, offset: 0, timestampMs: 1700000000123, headers: { 'weir-created-ms': '1700000000100.5', other: 'x' } });
    expect(c.values[0].createdMs).toBe(1700000000100.5);
    await reader.close();
  });

  it("formats 'string' and 'bytes'", async () => {
    const s = await kafkaSource<string>({ brokers: kafka.bootstrap, topic: numbers, partitions: 2, format: 'string' }).open(0, sourceCtx(0));
    const cs = collector<string>();
    await pollUntil(s, cs, 1, 10_000, 1);
    expect(cs.values[0].value).toBe('{"i":0}');
    await s.close();
    const b = await kafkaSource<Uint8Array>({ brokers: kafka.bootstrap, topic: numbers, partitions: 2, format: 'bytes' }).open(0, sourceCtx(0));
    const cb = collector<Uint8Array>();
    await pollUntil(b, cb, 1, 10_000, 1);
    expect(Buffer.from(cb.values[0].value).toString()).toBe('{"i":0}');
    await b.close();
  });
});

describe('kafkaSource backpressure', () => {
  it('stops fetching when its buffer is full, resumes when poll() drains it, loses nothing', async () => {
    const pressure = uniqueTopic('pressure');
    await kafka.createTopic(pressure, 1);
    // 3 kB records, 4000 of them: more than one fetch (limits.kafkaFetchBytesMax, 4 MiB) holds.
    const pad = 'x'.repeat(3000);
    const n = 4000;
    await produce(kafka.bootstrap, pressure, Array.from({ length: n }, (_, i) => ({ value: JSON.stringify({ i, pad }) })), 50);
    const oneFetch = Math.ceil(limits.kafkaFetchBytesMax / 3000) + 50; // a fetch ends on a whole record batch (50 records)
    const reader = (await kafkaSource<{ i: number }>({ brokers: kafka.bootstrap, topic: pressure, partitions: 1, bufferRecordsMax: 200 }).open(0, sourceCtx(0))) as Reader;
    await sleep(500); // nobody polls: the fetcher fills the buffer and stops
    const full = reader.backpressure();
    expect(full.paused).toBe(true);
    expect(full.bufferedRecords).toBeGreaterThanOrEqual(200);
    expect(full.bufferedRecords).toBeLessThanOrEqual(200 + oneFetch); // the bound plus one fetch
    expect(full.bufferedRecords).toBeLessThan(n);
    expect(reader.lag()).toBe(n); // nothing emitted yet
    const c = collector<{ i: number }>();
    let maxBuffered = 0;
    while (c.values.length < n) {
      const n = reader.poll(30, c.out); // a slow consumer: 30 records at a time
      maxBuffered = Math.max(maxBuffered, reader.backpressure().bufferedRecords);
      if (n === 0) await reader.whenReady();
      else await sleep(1);
    }
    expect(c.values.map((v) => v.value.i)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(maxBuffered).toBeLessThanOrEqual(200 + oneFetch);
    expect(reader.backpressure().pauses).toBeGreaterThanOrEqual(2); // ~1400 records a fetch: paused again after each
    await reader.close();
  });
});

describe('kafkaSource failures', () => {
  it('a position outside the partition fails the next poll with WEIR_SOURCE', async () => {
    const reader = await source().open(0, sourceCtx(0), 10_000);
    const c = collector<{ i: number }>();
    const err = await pollUntil(reader, c, 1).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WeirError);
    expect((err as WeirError).code).toBe('WEIR_SOURCE');
    expect((err as WeirError).message).toMatch(/offset 10000.*OFFSET_OUT_OF_RANGE|OFFSET_OUT_OF_RANGE/s);
    await reader.close();
  });
});
