/**
 * kafkaSource: a Kafka topic as a weir source, one weir source partition per Kafka partition,
 * each read by the worker thread that owns it (see reader.ts for how one partition is read).
 */
import { WeirError } from '../../errors.ts';
import { limits } from '../../limits.ts';
import type { SourceContext, SourceSpec } from '../types.ts';
import { checkConnection, kafkaCluster, kafkaError, kafkaOutage, withKafkaRetries, type KafkaConnectionOptions } from './connection.ts';
import { decoder, isSchemaFormat, type KafkaFormat } from './format.ts';
import { coordinatorType, type Cluster } from './kafkajs-internals.ts';
import { KafkaPartitionReader, type KafkaRecord } from './reader.ts';
import { checkKnownKeys, type KeySet } from '../../util/known-keys.ts';

/**
 * Where a partition starts when the job does not resume it from a checkpoint position:
 * 'earliest' (the default), 'latest' (only records produced after the open), 'committed' (the
 * consumer group's committed offset; earliest when the group has none), the first record at or
 * after a timestamp (the end when there is none), or explicit offsets per partition (partitions
 * not listed start at the earliest).
 */
export type KafkaStart = 'earliest' | 'latest' | 'committed' | { timestampMs: number } | { offsets: Record<number, number> };

export interface KafkaSourceOptions<T> extends KafkaConnectionOptions {
  topic: string;
  /**
   * The topic's partition count. SourceSpec.partitions() is synchronous, so it is given here —
   * or use `await kafkaSourceFor(options)`, which asks the brokers. Opening a partition checks it
   * against the topic: a mismatch fails the job (partitions would go unread).
   */
  partitions?: number;
  /** Consumer group under which positions are committed (commitPosition) and 'committed' reads them. weir never joins the group. */
  groupId?: string;
  start?: KafkaStart;
  /**
   * Record value format, default 'json'. A value that does not decode goes to the dead letters
   * (with avroFormat or protobufFormat: also a value whose writer schema the reader schema cannot
   * read, whose schema id the registry does not know, or that is not in the Confluent wire format).
   */
  format?: KafkaFormat<T>;
  /** Emit `KafkaRecord<T>` ({ key, value, partition, offset, timestampMs, headers }) instead of the bare value. */
  envelope?: boolean;
  /** The value's creation time (epoch ms) for latency measurement; default: the weir-created-ms header when present, else unknown. */
  createdMs?: (value: T) => number;
  /** 'read_committed' (default: only committed transactional records) or 'read_uncommitted'. */
  isolation?: 'read_committed' | 'read_uncommitted';
  /** Bounds of the per-partition buffer between the network and the job (defaults in limits.ts). */
  bufferRecordsMax?: number;
  bufferBytesMax?: number;
}

/** Asks the brokers for the topic's partition count, then returns kafkaSource(options) with it. For job modules: `const src = await kafkaSourceFor({...})`. */
export async function kafkaSourceFor<T = unknown>(opts: KafkaSourceOptions<T>): Promise<SourceSpec<T>> {
  return kafkaSource({ ...opts, partitions: opts.partitions ?? (await kafkaPartitionCount(opts, opts.topic)) });
}

/** The number of partitions of `topic`. */
export async function kafkaPartitionCount(conn: KafkaConnectionOptions, topic: string): Promise<number> {
  checkConnection(conn, 'kafka');
  const cluster = kafkaCluster(conn, 1);
  try {
    return await topicPartitions(cluster, topic, 'kafka');
  } finally {
    await cluster.disconnect().catch(() => {});
  }
}

async function topicPartitions(cluster: Cluster, topic: string, who: string): Promise<number> {
  try {
    await cluster.connect();
    await cluster.addTargetTopic(topic);
    return cluster.findTopicPartitionMetadata(topic).length;
  } catch (err) {
    throw kafkaError('WEIR_SOURCE', `${who}: cannot read the metadata of topic ${topic}`, err);
  }
}

const kafkaSourceKeys = { brokers: true, clientId: true, ssl: true, sasl: true, connectionTimeoutMs: true, requestTimeoutMs: true, logLevel: true, retryTimeoutMs: true, topic: true, partitions: true, groupId: true, start: true, format: true, envelope: true, createdMs: true, isolation: true, bufferRecordsMax: true, bufferBytesMax: true } as const satisfies KeySet<KafkaSourceOptions<unknown>>;

export function kafkaSource<T = unknown>(opts: KafkaSourceOptions<T>): SourceSpec<T> {
  checkKnownKeys('kafkaSource', opts, kafkaSourceKeys);
  const who = `kafkaSource(${opts.topic})`;
  checkConnection(opts, who);
  if (typeof opts.topic !== 'string' || opts.topic === '') throw new WeirError('WEIR_CONFIG', 'kafkaSource: topic is required');
  const partitions = opts.partitions;
  if (partitions !== undefined && (!Number.isInteger(partitions) || partitions < 1 || partitions > limits.parallelismMax * 64)) {
    throw new WeirError('WEIR_CONFIG', `${who}: partitions must be a positive integer, got ${partitions}`);
  }
  checkStart(opts.start, who);
  const decode = decoder(opts.format, who);
  const textual = opts.format === undefined || opts.format === 'json' || opts.format === 'string';
  const rawText = textual ? (b: Buffer) => b.toString('utf8') : (b: Buffer) => `base64:${b.toString('base64')}`;
  return {
    kind: 'kafka',
    partitions: () => {
      if (partitions === undefined) {
        throw new WeirError('WEIR_CONFIG', `${who}: the partition count is needed before connecting: pass { partitions } or build the source with \`await kafkaSourceFor(options)\``);
      }
      return partitions;
    },
    open: async (partition: number, _ctx: SourceContext, from?: unknown) => {
      const cluster = kafkaCluster(opts, opts.isolation === 'read_uncommitted' ? 0 : 1);
      try {
        // A broker that cannot be reached yet is retried here (retryTimeoutMs), not by restarting the job.
        const start = await withKafkaRetries(
          opts,
          `${who}: open partition ${partition}`,
          async () => {
            const actual = await topicPartitions(cluster, opts.topic, who);
            if (partitions !== undefined && actual !== partitions) {
              throw new WeirError('WEIR_CONFIG', `${who}: the topic has ${actual} partitions but the source declares ${partitions}`, { partition });
            }
            return startOffset(cluster, opts, partition, from, who);
          },
          (err) => (err instanceof WeirError ? err : kafkaError('WEIR_SOURCE', `${who}: cannot open partition ${partition}`, err, partition)),
        );
        return new KafkaPartitionReader<T>(cluster, {
          topic: opts.topic,
          partition,
          groupId: opts.groupId,
          isolationLevel: opts.isolation === 'read_uncommitted' ? 0 : 1,
          decode,
          prepareDecode: isSchemaFormat(opts.format) ? opts.format.prepareDecode : undefined,
          rawText,
          envelope: opts.envelope ?? false,
          createdMs: opts.createdMs,
          bufferRecordsMax: opts.bufferRecordsMax ?? limits.kafkaSourceBufferRecordsMax,
          bufferBytesMax: opts.bufferBytesMax ?? limits.kafkaSourceBufferBytesMax,
          outage: kafkaOutage(opts, `${who}: partition ${partition}`),
        }, start);
      } catch (err) {
        await cluster.disconnect().catch(() => {});
        throw err;
      }
    },
  } as SourceSpec<T>;
}

function checkStart(start: KafkaStart | undefined, who: string): void {
  if (start === undefined || start === 'earliest' || start === 'latest' || start === 'committed') return;
  if (typeof start === 'object' && 'timestampMs' in start && Number.isFinite(start.timestampMs)) return;
  if (typeof start === 'object' && 'offsets' in start && typeof start.offsets === 'object' && start.offsets !== null) {
    for (const [p, o] of Object.entries(start.offsets)) {
      if (!/^\d+$/.test(p) || !Number.isSafeInteger(o) || o < 0) throw new WeirError('WEIR_CONFIG', `${who}: start.offsets must map partition numbers to offsets ≥ 0, got ${p}: ${o}`);
    }
    return;
  }
  throw new WeirError('WEIR_CONFIG', `${who}: start must be 'earliest', 'latest', 'committed', { timestampMs } or { offsets }, got ${JSON.stringify(start)}`);
}

/** The offset a partition starts at: the resume position when there is one, else what `start` says. */
async function startOffset<T>(cluster: Cluster, opts: KafkaSourceOptions<T>, partition: number, from: unknown, who: string): Promise<number> {
  if (from !== undefined && from !== null) {
    if (typeof from !== 'number' || !Number.isSafeInteger(from) || from < 0) {
      throw new WeirError('WEIR_SOURCE', `${who}: cannot resume partition ${partition} from position ${JSON.stringify(from)} (expected an offset)`, { partition });
    }
    return from;
  }
  const { topic } = opts;
  const start = opts.start ?? 'earliest';
  const listed = async (request: { fromBeginning?: boolean; fromTimestamp?: number }): Promise<number> => {
    const [result] = await cluster.fetchTopicsOffset([{ topic, partitions: [{ partition }], ...request }]);
    return Number(result.partitions.find((p) => p.partition === partition)!.offset);
  };
  try {
    if (start === 'earliest') return await listed({ fromBeginning: true });
    if (start === 'latest') return await listed({ fromBeginning: false });
    if (start === 'committed') {
      if (opts.groupId === undefined) throw new WeirError('WEIR_CONFIG', `${who}: start 'committed' needs a groupId`);
      const coordinator = await cluster.findGroupCoordinator({ groupId: opts.groupId, coordinatorType: coordinatorType.group });
      const { responses } = await coordinator.offsetFetch({ groupId: opts.groupId, topics: [{ topic, partitions: [{ partition }] }] });
      const committed = Number(responses[0]?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
      return committed >= 0 ? committed : await listed({ fromBeginning: true });
    }
    if ('timestampMs' in start) {
      const offset = await listed({ fromTimestamp: start.timestampMs });
      return offset >= 0 ? offset : await listed({ fromBeginning: false });
    }
    return start.offsets[partition] ?? (await listed({ fromBeginning: true }));
  } catch (err) {
    if (err instanceof WeirError) throw err;
    throw kafkaError('WEIR_SOURCE', `${who}: cannot find the start offset of partition ${partition}`, err, partition);
  }
}

export type { KafkaRecord };
