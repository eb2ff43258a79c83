/**
 * The parts of kafkajs (2.2.4) weir uses below its public API, typed here in one place.
 *
 * Why not only the public API: kafkajs's consumer has no manual assign() — every consumer is a
 * group member, partitions are handed out by rebalances, and a rebalance stops every member. A
 * weir source partition is pinned to one worker thread and must read exactly that partition from
 * exactly the position it was given, so the source fetches through kafkajs's Cluster and Broker
 * (connection pool, metadata, retries, SSL/SASL — all of kafkajs's networking) without joining a
 * group, as Flink's KafkaSource and Spark's Kafka source do with the Java client's assign(). The
 * exactly-once sink needs the producer id and epoch of its transactions (to commit one after a
 * restart), which kafkajs's public producer keeps private; it builds its transactional producer
 * from kafkajs's own EosManager and MessageProducer.
 *
 * test/kafka/*.test.ts exercise every function used here against a real broker protocol, so an
 * upgrade of kafkajs that changes them fails the tests rather than a job.
 */
import type { ICustomPartitioner, logLevel as LogLevel, SASLOptions } from 'kafkajs';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { lazyRequire } from '../../util/lazy-require.ts';


export interface ClusterOptions {
  brokers: string[];
  clientId: string;
  ssl?: TlsConnectionOptions | boolean;
  sasl?: SASLOptions;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  logLevel: LogLevel;
  /** 0 = read_uncommitted, 1 = read_committed. */
  isolationLevel: 0 | 1;
}

export interface FetchedMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[] | undefined>;
  isControlRecord: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
}

export interface FetchedPartition {
  partition: number;
  errorCode: number;
  highWatermark: string;
  abortedTransactions?: Array<{ producerId: string; firstOffset: string }>;
  messages: FetchedMessage[];
}

export interface Broker {
  fetch(request: {
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: Array<{ topic: string; partitions: Array<{ partition: number; fetchOffset: string; maxBytes: number }> }>;
  }): Promise<{ responses: Array<{ topicName: string; partitions: FetchedPartition[] }> }>;
  offsetCommit(request: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
  }): Promise<unknown>;
  offsetFetch(request: { groupId: string; topics: Array<{ topic: string; partitions: Array<{ partition: number }> }> }): Promise<{
    responses: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
  }>;
  endTxn(request: { producerId: string | number; producerEpoch: number; transactionalId: string; transactionResult: boolean }): Promise<unknown>;
  /** Group membership (group-member.ts). A JoinGroup may block for up to the rebalance timeout; kafkajs extends its request timeout accordingly. */
  joinGroup(request: {
    groupId: string;
    sessionTimeout: number;
    rebalanceTimeout: number;
    memberId: string;
    protocolType: string;
    groupProtocols: Array<{ name: string; metadata: Buffer }>;
  }): Promise<{ generationId: number; groupProtocol: string; leaderId: string; memberId: string; members: Array<{ memberId: string; memberMetadata: Buffer }> }>;
  syncGroup(request: { groupId: string; generationId: number; memberId: string; groupAssignment: Array<{ memberId: string; memberAssignment: Buffer }> }): Promise<{ memberAssignment: Buffer }>;
  heartbeat(request: { groupId: string; groupGenerationId: number; memberId: string }): Promise<unknown>;
  leaveGroup(request: { groupId: string; memberId: string }): Promise<unknown>;
}

export interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(topic: string): Array<{ partitionId: number; leader: number }>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(request: { nodeId: string | number }): Promise<Broker>;
  findGroupCoordinator(request: { groupId: string; coordinatorType?: number }): Promise<Broker>;
  fetchTopicsOffset(
    topics: Array<{ topic: string; partitions: Array<{ partition: number }>; fromBeginning?: boolean; fromTimestamp?: number }>,
  ): Promise<Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>>;
}

/** Kafka protocol coordinator types (FindCoordinator key_type). */
export const coordinatorType = { group: 0, transaction: 1 } as const;

// kafkajs's files, loaded on first use (util/lazy-require.ts).
const kafkajsCluster = lazyRequire<new (options: object) => Cluster>('kafkajs/src/cluster');
const kafkajsLoggers = lazyRequire<{ createLogger(o: { level: number; logCreator: unknown }): unknown }>('kafkajs/src/loggers');
const kafkajsConsoleLogger = lazyRequire<unknown>('kafkajs/src/loggers/console');
const kafkajsSocketFactory = lazyRequire<() => unknown>('kafkajs/src/network/socketFactory');
const kafkajsRetry = lazyRequire<(options: object) => unknown>('kafkajs/src/retry');
const kafkajsEosManager = lazyRequire<(options: object) => EosManager>('kafkajs/src/producer/eosManager');
const kafkajsMessageProducer = lazyRequire<(options: object) => MessageProducer>('kafkajs/src/producer/messageProducer');

/** Retries of one request before an operation gives up (kafkajs's defaults, exponential back-off). */
export const requestRetry = { retries: 5, initialRetryTime: 100, maxRetryTime: 5_000 };

/** A kafkajs Cluster: connections to the brokers, metadata, retries — without consumer or producer on top. */
export function createCluster(o: ClusterOptions): Cluster {
  return new (kafkajsCluster())({
    logger: kafkajsLoggers().createLogger({ level: o.logLevel, logCreator: kafkajsConsoleLogger() }),
    socketFactory: kafkajsSocketFactory()(),
    brokers: o.brokers,
    ssl: o.ssl,
    sasl: o.sasl,
    clientId: o.clientId,
    connectionTimeout: o.connectionTimeoutMs,
    requestTimeout: o.requestTimeoutMs,
    enforceRequestTimeout: true,
    metadataMaxAge: 300_000,
    retry: requestRetry,
    allowAutoTopicCreation: false,
    isolationLevel: o.isolationLevel,
  });
}

export interface EosManager {
  getProducerId(): string | number;
  getProducerEpoch(): number;
  isInitialized(): boolean;
  isInTransaction(): boolean;
  initProducerId(): Promise<void>;
  beginTransaction(): void;
  /** AddOffsetsToTxn + TxnOffsetCommit: the offsets become the group's when the transaction commits. */
  sendOffsets(request: { consumerGroupId: string; topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> }): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface MessageProducer {
  sendBatch(request: { acks?: number; timeout?: number; topicMessages: Array<{ topic: string; messages: ProducerMessage[] }> }): Promise<unknown>;
}

export interface ProducerMessage {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  partition?: number;
  timestamp?: string;
  headers?: Record<string, Buffer | string>;
}

export interface TransactionalProducer {
  readonly transactionalId: string;
  readonly eos: EosManager;
  readonly messages: MessageProducer;
}

/** A transactional producer over `cluster` whose producer id and epoch are readable (see the module comment). */
export function createTransactionalProducer(
  cluster: Cluster,
  logLevel: LogLevel,
  transactionalId: string,
  transactionTimeoutMs: number,
  partitioner: ReturnType<ICustomPartitioner>,
): TransactionalProducer {
  const logger = kafkajsLoggers().createLogger({ level: logLevel, logCreator: kafkajsConsoleLogger() }) as { namespace(n: string): unknown };
  const eos = kafkajsEosManager()({ logger: logger.namespace('EosManager'), cluster, transactionTimeout: transactionTimeoutMs, transactional: true, transactionalId });
  const messages = kafkajsMessageProducer()({
    logger: logger.namespace('Producer'),
    cluster,
    partitioner,
    eosManager: eos,
    idempotent: true,
    retrier: kafkajsRetry()(requestRetry),
    getConnectionStatus: () => 'connected',
  });
  return { transactionalId, eos, messages };
}
