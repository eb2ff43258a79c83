/**
 * Kafka sinks. kafkaSink writes one Kafka record per value; with guarantee 'at-least-once' (the
 * default) through a plain kafkajs producer, with 'exactly-once' through transactions (see
 * transactional-writer.ts). kafkaUpsertSink keeps only the latest value of each key per flush and
 * writes a tombstone (null value) for a delete: the sink of a compacted topic holding a table.
 */
import type { Producer } from 'kafkajs';
import { WeirError } from '../../errors.ts';
import { limits } from '../../limits.ts';
import type { SinkContext, SinkSpec, SinkWriter } from '../types.ts';
import { checkConnection, isTransientKafkaError, kafkaClient, kafkajs, kafkaError, kafkaOutage, withKafkaRetries, type KafkaConnectionOptions } from './connection.ts';
import type { Outage } from '../connection-retry.ts';
import { encoder, isSchemaFormat, type Encoder, type KafkaFormat } from './format.ts';
import type { ProducerMessage } from './kafkajs-internals.ts';
import { kafkaPartitionForKey } from '../../util/murmur2.ts';
import { createdHeader } from './reader.ts';
import { TransactionalWriter } from './transactional-writer.ts';
import { sendChunks } from './send-chunks.ts';
import { checkKnownKeys, type KeySet } from '../../util/known-keys.ts';

export type KafkaKey = string | Buffer | null;

/** A custom partitioner: the partition (0..numPartitions−1) of a record, from its key and value. */
export type KafkaPartitioner<T> = (key: KafkaKey, value: T, numPartitions: number) => number;

export interface KafkaSinkOptions<T> extends KafkaConnectionOptions {
  topic: string;
  /** Default `kafka:<topic>`. */
  name?: string;
  /** The record key; null or absent = no key (records are spread over partitions by kafkajs). */
  key?: (value: T) => KafkaKey;
  /** Value format, default 'json'. */
  value?: KafkaFormat<T>;
  /**
   * 'murmur2' (default): a keyed record goes where Kafka's Java client would put it
   * (toPositive(murmur2(key)) % partitions). Or a function of key, value and partition count.
   */
  partitioner?: 'murmur2' | KafkaPartitioner<T>;
  /** 'at-least-once' (default) or 'exactly-once' (Kafka transactions committed with weir's checkpoints). */
  guarantee?: 'at-least-once' | 'exactly-once';
  /**
   * Exactly-once only: Kafka's transaction.timeout.ms for this sink's transactions (default
   * limits.kafkaTransactionTimeoutMsDefault, 15 min; the broker caps it at its
   * transaction.max.timeout.ms, 15 min by default). It MUST exceed the checkpoint interval plus
   * the time a failed job takes to restart: a transaction the broker times out is aborted, and
   * the records of a checkpoint that completed but was not yet committed are then lost.
   */
  transactionTimeoutMs?: number;
  /** Write the record's creation time as the weir-created-ms header (a weir Kafka source reads it back for latency). Default false. */
  createdHeader?: boolean;
  /**
   * Exactly-once only — consume–transform–produce: commit the positions of a Kafka source of this
   * job as consumer group `groupId`'s offsets inside each checkpoint's transaction (Kafka's
   * sendOffsetsToTransaction), so the group's offsets become visible exactly with the output they
   * produced. `source` is the source's name in the job (`env.source(spec, { name })`), `topic` its
   * topic. weir still resumes from its checkpoints; this is for tools that read the group's
   * offsets (lag monitors, a Kafka consumer taking over). Give the source no `groupId` of its own
   * then (its commitPosition would commit the same offsets again outside the transaction).
   */
  offsetsInTransaction?: { source: string; topic: string; groupId: string };
}

export interface KafkaUpsertSinkOptions<T> extends Omit<KafkaSinkOptions<T>, 'key' | 'value' | 'guarantee'> {
  /** The table key of a value (required). */
  key: (value: T) => string | Buffer;
  /** What is written for a value; null or undefined = the key was deleted (a tombstone is written). Default: the value itself. */
  upsertValue?: (value: T) => unknown;
  /** Format of what upsertValue returns, default 'json'. */
  value?: KafkaFormat<unknown>;
}

/** What a sink's writer needs to turn values into records, shared by both producers. */
export interface RecordMaker<T> {
  topic: string;
  /** Set at open from the topic's metadata. */
  numPartitions: number;
  make(value: T, timestampMs: number, createdMs: number): ProducerMessage;
}

function recordMaker<T>(opts: KafkaSinkOptions<T>, who: string, encode: Encoder<T>): RecordMaker<T> {
  const keyOf = opts.key;
  const custom = typeof opts.partitioner === 'function' ? opts.partitioner : undefined;
  const withCreated = opts.createdHeader ?? false;
  const maker: RecordMaker<T> = {
    topic: opts.topic,
    numPartitions: 0,
    make(value, timestampMs, createdMs) {
      const key = keyOf === undefined ? null : keyOf(value);
      if (key !== null && typeof key !== 'string' && !Buffer.isBuffer(key)) {
        throw new WeirError('WEIR_SINK', `${who}: the key function must return a string, a Buffer or null, got ${typeof key}`, { operator: who });
      }
      const message: ProducerMessage = { key, value: value === null ? null : encode(value) };
      if (custom !== undefined) {
        const p = custom(key, value, maker.numPartitions);
        if (!Number.isInteger(p) || p < 0 || p >= maker.numPartitions) {
          throw new WeirError('WEIR_SINK', `${who}: the partitioner returned ${p}; the topic has ${maker.numPartitions} partitions`, { operator: who });
        }
        message.partition = p;
      } else if (key !== null) {
        message.partition = kafkaPartitionForKey(key, maker.numPartitions);
      }
      if (Number.isFinite(timestampMs) && timestampMs >= 0) message.timestamp = String(Math.floor(timestampMs));
      if (withCreated && Number.isFinite(createdMs)) message.headers = { [createdHeader]: String(createdMs) };
      return message;
    },
  };
  return maker;
}

function checkSinkOptions<T>(opts: KafkaSinkOptions<T>, who: string): void {
  checkConnection(opts, who);
  if (typeof opts.topic !== 'string' || opts.topic === '') throw new WeirError('WEIR_CONFIG', 'kafkaSink: topic is required');
  if (opts.partitioner !== undefined && opts.partitioner !== 'murmur2' && typeof opts.partitioner !== 'function') {
    throw new WeirError('WEIR_CONFIG', `${who}: partitioner must be 'murmur2' or a function`);
  }
  if (opts.guarantee !== undefined && opts.guarantee !== 'at-least-once' && opts.guarantee !== 'exactly-once') {
    throw new WeirError('WEIR_CONFIG', `${who}: guarantee must be 'at-least-once' or 'exactly-once'`);
  }
  const t = opts.transactionTimeoutMs;
  if (t !== undefined && !(Number.isInteger(t) && t > 0)) throw new WeirError('WEIR_CONFIG', `${who}: transactionTimeoutMs must be a positive integer (ms)`);
  const o = opts.offsetsInTransaction;
  if (o !== undefined) {
    if (opts.guarantee !== 'exactly-once') throw new WeirError('WEIR_CONFIG', `${who}: offsetsInTransaction needs guarantee 'exactly-once'`);
    if (![o.source, o.topic, o.groupId].every((x) => typeof x === 'string' && x !== '')) {
      throw new WeirError('WEIR_CONFIG', `${who}: offsetsInTransaction needs { source, topic, groupId } (non-empty strings)`);
    }
  }
}

const kafkaSinkKeys = { brokers: true, clientId: true, ssl: true, sasl: true, connectionTimeoutMs: true, requestTimeoutMs: true, logLevel: true, retryTimeoutMs: true, topic: true, name: true, key: true, value: true, partitioner: true, guarantee: true, transactionTimeoutMs: true, createdHeader: true, offsetsInTransaction: true } as const satisfies KeySet<KafkaSinkOptions<unknown>>;
const { guarantee: _guarantee, ...upsertSinkTakes } = kafkaSinkKeys;
const kafkaUpsertSinkKeys = { ...upsertSinkTakes, upsertValue: true } as const satisfies KeySet<KafkaUpsertSinkOptions<unknown>>;

/** Writes every value as one Kafka record (see KafkaSinkOptions and docs/kafka.md for the guarantees). */
export function kafkaSink<T>(opts: KafkaSinkOptions<T>): SinkSpec<T> {
  checkKnownKeys('kafkaSink', opts, kafkaSinkKeys);
  const name = opts.name ?? `kafka:${opts.topic}`;
  checkSinkOptions(opts, name);
  const encode = encoder(opts.value, name);
  const guarantee = opts.guarantee ?? 'at-least-once';
  return {
    kind: 'kafka',
    name,
    guarantee,
    open: async (ctx: SinkContext) => {
      await registerSchema(opts.value, opts.topic, name);
      const maker = recordMaker(opts, name, encode);
      if (guarantee === 'exactly-once') return TransactionalWriter.open(opts, name, maker, ctx);
      return AtLeastOnceWriter.open(opts, name, maker, undefined);
    },
  };
}

/**
 * Writes the latest value per key: within what is buffered between two flushes only the last
 * value of a key is sent, and a value whose upsertValue is null/undefined is sent as a tombstone.
 * At-least-once: after a recovery the same keys are written again, and the topic converges to the
 * same last value per key (the state a compacted topic keeps).
 */
export function kafkaUpsertSink<T>(opts: KafkaUpsertSinkOptions<T>): SinkSpec<T> {
  checkKnownKeys('kafkaUpsertSink', opts, kafkaUpsertSinkKeys);
  const name = opts.name ?? `kafka-upsert:${opts.topic}`;
  if (typeof opts.key !== 'function') throw new WeirError('WEIR_CONFIG', `${name}: key is required`);
  const project = opts.upsertValue ?? ((v: T) => v as unknown);
  const encodeValue = encoder(opts.value, name);
  const base: KafkaSinkOptions<unknown> = { ...opts, key: undefined, value: undefined, partitioner: undefined, guarantee: 'at-least-once' } as KafkaSinkOptions<unknown>;
  checkSinkOptions(base, name);
  return {
    kind: 'kafka-upsert',
    name,
    guarantee: 'at-least-once',
    open: async () => {
      await registerSchema(opts.value, opts.topic, name);
      const keyOf = opts.key;
      const partitioner = opts.partitioner;
      const maker = recordMaker<T>(
        {
          ...(base as KafkaSinkOptions<T>),
          key: keyOf,
          partitioner: typeof partitioner === 'function' ? partitioner : undefined,
        },
        name,
        (v) => {
          const projected = project(v);
          return projected === null || projected === undefined ? (null as unknown as string) : encodeValue(projected);
        },
      );
      const dedupe = (v: T) => {
        const k = keyOf(v);
        return typeof k === 'string' ? `s:${k}` : `b:${k.toString('base64')}`;
      };
      return AtLeastOnceWriter.open(base as KafkaSinkOptions<T>, name, maker, dedupe);
    },
  };
}

/** Schema formats: registers the writer schema (its id goes into every record) before the first write. */
async function registerSchema<T>(format: KafkaFormat<T> | undefined, topic: string, who: string): Promise<void> {
  if (!isSchemaFormat(format)) return;
  try {
    await format.prepareEncode(topic);
  } catch (err) {
    if (err instanceof WeirError) throw new WeirError(err.code, `${who}: ${err.message}`, { operator: who, cause: err });
    throw new WeirError('WEIR_SINK', `${who}: cannot register the value schema: ${(err as Error).message}`, { operator: who, cause: err, retriable: true });
  }
}

/** Asks the brokers how many partitions `topic` has (the sink computes partitions itself). */
async function partitionsOf(producerClient: ReturnType<typeof kafkaClient>, topic: string, who: string): Promise<number> {
  const admin = producerClient.admin();
  try {
    await admin.connect();
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const n = topics[0]?.partitions.length ?? 0;
    if (n === 0) throw new WeirError('WEIR_CONFIG', `${who}: topic ${topic} has no partitions (does it exist?)`);
    return n;
  } catch (err) {
    if (err instanceof WeirError) throw err;
    throw kafkaError('WEIR_SINK', `${who}: cannot read the metadata of topic ${topic}`, err);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * At-least-once: write() buffers, flush() sends what is buffered and waits for the brokers'
 * acknowledgement (acks = all). A full buffer (limits.kafkaSinkBufferRecordsMax) starts a send
 * without waiting; flush() waits for it too, so after flush() everything written is in Kafka.
 * Sends go one after another, so records keep their order within a partition.
 */
class AtLeastOnceWriter<T> implements SinkWriter<T> {
  private pending: ProducerMessage[] = [];
  /** Upsert: the index in `pending` of each key's latest record. */
  private readonly latest = new Map<string, number>();
  private inFlight: Array<Promise<unknown>> = [];
  private failure: unknown;
  private records = 0;
  private sent = 0;

  static async open<T>(opts: KafkaSinkOptions<T>, who: string, maker: RecordMaker<T>, dedupe: ((v: T) => string) | undefined): Promise<AtLeastOnceWriter<T>> {
    const client = kafkaClient(opts);
    // A broker that cannot be reached yet is retried here (retryTimeoutMs), not by restarting the job.
    const toError = (err: unknown) => (err instanceof WeirError ? err : kafkaError('WEIR_SINK', `${who}: cannot connect`, err));
    maker.numPartitions = await withKafkaRetries(opts, `${who}: open`, () => partitionsOf(client, opts.topic, who), toError);
    // idempotent: false — with the mock broker (and brokers without idempotence) an idempotent
    // producer cannot start; duplicates after a retry are within at-least-once anyway.
    const producer = client.producer({ createPartitioner: kafkajs().Partitioners.DefaultPartitioner, allowAutoTopicCreation: false, idempotent: false });
    await withKafkaRetries(opts, `${who}: connect`, () => producer.connect(), toError);
    return new AtLeastOnceWriter(producer, who, maker, dedupe, kafkaOutage(opts, `${who}: send`));
  }

  private constructor(
    private readonly producer: Producer,
    private readonly who: string,
    private readonly maker: RecordMaker<T>,
    private readonly dedupe: ((v: T) => string) | undefined,
    /** Retries a send while the broker cannot be reached (retryTimeoutMs); past it the send fails. */
    private readonly outage: Outage,
  ) {}

  write(value: T, timestampMs: number, createdMs: number): void {
    if (this.failure !== undefined) throw this.failureError();
    const message = this.maker.make(value, timestampMs, createdMs);
    this.records++;
    if (this.dedupe !== undefined) {
      const k = this.dedupe(value);
      const at = this.latest.get(k);
      if (at !== undefined) {
        this.pending[at] = message; // a later value of the same key replaces the buffered one
        return;
      }
      this.latest.set(k, this.pending.length);
    }
    this.pending.push(message);
    if (this.pending.length >= limits.kafkaSinkBufferRecordsMax) this.sendPending();
  }

  private sendPending(): void {
    if (this.pending.length === 0) return;
    const messages = this.pending;
    this.pending = [];
    this.latest.clear();
    this.sent += messages.length;
    // One send at a time, in order: concurrent sends could land out of order in a partition.
    for (const chunk of sendChunks(messages)) {
      const previous = this.inFlight[this.inFlight.length - 1] ?? Promise.resolve();
      const send = previous.then(() => (this.failure !== undefined ? undefined : this.sendRetrying(chunk)));
      this.inFlight.push(send);
    }
  }

  private failureError(): WeirError {
    return this.failure instanceof WeirError ? this.failure : kafkaError('WEIR_SINK', `${this.who}: a send failed`, this.failure);
  }

  /** Sends `messages`, again while the broker cannot be reached (a retried send may repeat records: at-least-once). */
  private async sendRetrying(messages: ProducerMessage[]): Promise<void> {
    for (;;) {
      try {
        await this.producer.send({ topic: this.maker.topic, messages, acks: -1 });
        this.outage.recovered();
        return;
      } catch (err) {
        const failure = isTransientKafkaError(err) ? await this.outage.retryAfter(err, (e) => kafkaError('WEIR_SINK', `${this.who}: a send failed`, e)) : err;
        if (failure !== undefined) {
          this.failure ??= failure;
          return;
        }
      }
    }
  }

  async flush(): Promise<void> {
    this.sendPending();
    const inFlight = this.inFlight;
    this.inFlight = [];
    await Promise.all(inFlight);
    if (this.failure !== undefined) throw this.failureError();
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.producer.disconnect().catch(() => {});
    }
  }

  result(): { records: number; sent: number } {
    return { records: this.records, sent: this.sent };
  }
}
