/** Helpers of the Kafka tests: producing input, reading a topic back, opening connectors in-process, waiting on a running job. */
import { Kafka, logLevel, Partitioners, type Message } from 'kafkajs';
import { tmpdir } from 'node:os';
import type { JobHandle } from '../../src/runtime/job/run.ts';
import type { SinkContext, SourceOutput, SourceReader, SourceSpec } from '../../src/connectors/types.ts';
import { kafkaSource } from '../../src/connectors/kafka/source.ts';
import type { KafkaFormat } from '../../src/connectors/kafka/format.ts';
import { kafkaCluster } from '../../src/connectors/kafka/connection.ts';
import type { KafkaRecord } from '../../src/connectors/kafka/reader.ts';
import { waitLimitMs } from '../helpers.ts';

export const nowMs = () => performance.timeOrigin + performance.now();

export function client(bootstrap: string[]): Kafka {
  // Retries long enough to wait out a leader election after a broker failure on a busy machine
  // (kafkajs's default gives up after about 10 s); the tests' own watchdog bounds the wait.
  return new Kafka({ brokers: bootstrap, logLevel: logLevel.NOTHING, clientId: 'weir-test', retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 5_000 } });
}

/**
 * Produces messages (one send per chunk of `chunk`, so the broker holds several record batches).
 * Idempotent by default: a send kafkajs retries is written once. Without it, a send the broker
 * appended but did not answer in time — a broker that has just restarted, or any broker on a busy
 * machine — is written again, and a test counting records sees the test's own duplicates.
 * `idempotent: false` for the mock broker only, which cannot give out producer ids.
 */
export async function produce(bootstrap: string[], topic: string, messages: Message[], chunk = 500, options: { idempotent?: boolean } = {}): Promise<void> {
  const idempotent = options.idempotent ?? true;
  const producer = client(bootstrap).producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent, ...(idempotent ? { maxInFlightRequests: 1 } : {}) });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += chunk) await producer.send({ topic, messages: messages.slice(i, i + chunk), acks: -1 });
  } finally {
    await producer.disconnect();
  }
}

export const sourceCtx = (partition: number) => ({ partition, parallelism: 1, workDir: tmpdir(), startMs: nowMs(), nowMs });
export const sinkCtx = (sinkUid: string, subtask = 0, parallelism = 1, recovery?: SinkContext['recovery']): SinkContext => ({
  subtask,
  parallelism,
  workDir: tmpdir(),
  nowMs,
  sinkUid,
  recovery,
});

export interface Collected<T> {
  values: Array<{ value: T; offset: number; timestampMs: number; createdMs: number }>;
  dead: Array<{ raw: string; reason: string; offset: number }>;
  out: SourceOutput<T>;
}

export function collector<T>(): Collected<T> {
  const c: Collected<T> = {
    values: [],
    dead: [],
    out: {
      emit: (value, offset, timestampMs, createdMs) => void c.values.push({ value, offset, timestampMs, createdMs }),
      deadLetter: (raw, reason, offset) => void c.dead.push({ raw, reason, offset }),
    },
  };
  return c;
}

/** Polls `reader` (waiting on whenReady between polls) until `count` records/dead letters arrived or the deadline. */
export async function pollUntil<T>(reader: SourceReader<T>, c: Collected<T>, count: number, timeoutMs = waitLimitMs, max = 512): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (c.values.length + c.dead.length < count) {
    if (Date.now() > deadline) throw new Error(`timed out with ${c.values.length + c.dead.length} of ${count} records`);
    const n = await reader.poll(Math.min(max, count - c.values.length - c.dead.length), c.out);
    if (n === 0) await Promise.race([reader.whenReady!(), sleep(50)]);
  }
}

/**
 * Every record of `topic` (all partitions, from the earliest offset) until `count` arrived, and
 * whatever follows within a moment (so that a test sees records beyond those it expects).
 */
export async function readTopic<T = unknown>(
  bootstrap: string[],
  topic: string,
  partitions: number,
  count: number,
  timeoutMs = waitLimitMs,
  isolation: 'read_committed' | 'read_uncommitted' = 'read_uncommitted',
  format?: KafkaFormat<T>,
): Promise<Array<KafkaRecord<T>>> {
  const spec = kafkaSource<T>({ brokers: bootstrap, topic, partitions, envelope: true, isolation, format, logLevel: 'nothing' }) as SourceSpec<KafkaRecord<T>>;
  const readers = await Promise.all(Array.from({ length: partitions }, (_, p) => spec.open(p, sourceCtx(p))));
  const c = collector<KafkaRecord<T>>();
  const deadline = Date.now() + timeoutMs;
  try {
    while (c.values.length < count) {
      if (Date.now() > deadline) throw new Error(`readTopic ${topic}: ${c.values.length} of ${count} records after ${timeoutMs} ms`);
      let got = 0;
      for (const r of readers) got += await r.poll(4096, c.out);
      if (got === 0) await sleep(20);
    }
    // Nothing more than expected should follow: give the fetchers a few more rounds.
    await sleep(count === 0 ? 1_000 : 300);
    for (const r of readers) await r.poll(4096, c.out);
  } finally {
    await Promise.all(readers.map((r) => r.close()));
  }
  return c.values.map((v) => v.value);
}

/** The values a read_committed consumer sees in `topic` (from the earliest offset): `count` of them, and whatever follows within a moment. */
export async function readCommitted<T = unknown>(bootstrap: string[], topic: string, partitions: number, count = 0): Promise<T[]> {
  return (await readTopic<T>(bootstrap, topic, partitions, count, waitLimitMs, 'read_committed')).map((r) => r.value);
}

/** Waits until `done(handle)` holds (checked every 50 ms), then stops the job and returns its result. */
export async function runUntil(handle: JobHandle, done: () => boolean, timeoutMs = waitLimitMs) {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) {
      await handle.stop().catch(() => {});
      throw new Error(`job did not reach its goal within ${timeoutMs} ms: ${JSON.stringify(handle.metrics().operators.map((o) => [o.name, o.recordsIn, o.recordsOut]))}`);
    }
    await Promise.race([sleep(50), handle.done.then(() => {}, () => {})]);
  }
  return handle.stop();
}

export function recordsIn(handle: JobHandle, operator: string): number {
  return handle.metrics().operators.find((o) => o.name === operator)?.recordsIn ?? 0;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Every record of `topic` up to its current end, read raw (read_uncommitted, as the mock serves
 * read_committed anyway), with the producer id of its record batch.
 */
export async function readTopicToEnd<T = unknown>(bootstrap: string[], topic: string, partitions: number, timeoutMs = waitLimitMs): Promise<Array<KafkaRecord<T> & { producerId: string }>> {
  const cluster = kafkaCluster({ brokers: bootstrap, logLevel: 'nothing' }, 0);
  await cluster.connect();
  await cluster.addTargetTopic(topic);
  const out: Array<KafkaRecord<T> & { producerId: string }> = [];
  const deadline = Date.now() + timeoutMs;
  try {
    for (let partition = 0; partition < partitions; partition++) {
      const broker = await cluster.findBroker({ nodeId: Object.keys(cluster.findLeaderForPartitions(topic, [partition]))[0] });
      let offset = 0;
      for (let high = 1; offset < high; ) {
        if (Date.now() > deadline) throw new Error(`readTopicToEnd ${topic}: partition ${partition} at ${offset} of ${high} after ${timeoutMs} ms`);
        const response = await broker.fetch({ isolationLevel: 0, maxWaitTime: 50, minBytes: 1, maxBytes: 1 << 20, topics: [{ topic, partitions: [{ partition, fetchOffset: String(offset), maxBytes: 1 << 20 }] }] });
        const data = response.responses[0].partitions[0];
        high = Number(data.highWatermark);
        for (const m of data.messages) {
          const o = Number(m.offset);
          if (o < offset) continue;
          offset = o + 1;
          if (m.isControlRecord) continue;
          out.push({
            key: m.key === null ? null : m.key.toString('utf8'),
            value: JSON.parse(m.value!.toString('utf8')) as T,
            partition,
            offset: o,
            timestampMs: Number(m.timestamp),
            headers: {},
            producerId: m.batchContext.producerId,
          });
        }
      }
    }
  } finally {
    await cluster.disconnect().catch(() => {});
  }
  return out;
}

/** The group's committed offset of every partition of `topic` (-1: none). */
export async function groupOffsets(bootstrap: string[], groupId: string, topic: string): Promise<number[]> {
  const admin = client(bootstrap).admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return t.partitions.sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
  } finally {
    await admin.disconnect();
  }
}

/** Polls `done` every 50 ms; fails naming `what` after timeoutMs. */
export async function until(what: string, done: () => boolean | Promise<boolean>, timeoutMs = waitLimitMs): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
