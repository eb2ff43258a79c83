/** How weir's Kafka connectors connect: the options every Kafka source and sink take, passed through to kafkajs. */
import type { Kafka, logLevel, SASLOptions } from 'kafkajs';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { WeirError } from '../../errors.ts';
import { limits } from '../../limits.ts';
import { lazyRequire } from '../../util/lazy-require.ts';
import { Outage, withRetries } from '../connection-retry.ts';
import { createCluster, requestRetry, type Cluster } from './kafkajs-internals.ts';

export interface KafkaConnectionOptions {
  /** Bootstrap brokers, `host:port`. */
  brokers: string[];
  /** Sent with every request (broker logs, quotas). Default 'weir'. */
  clientId?: string;
  /** TLS: true, or Node's tls.connect options (ca, cert, key, servername, …); as kafkajs's `ssl`. */
  ssl?: TlsConnectionOptions | boolean;
  /** SASL (plain, scram-sha-256/512, aws, oauthbearer); as kafkajs's `sasl`. */
  sasl?: SASLOptions;
  /** Default limits.kafkaConnectionTimeoutMs. */
  connectionTimeoutMs?: number;
  /** Default limits.kafkaRequestTimeoutMs. */
  requestTimeoutMs?: number;
  /** kafkajs's own log output (to stderr). Default 'error'. */
  logLevel?: 'nothing' | 'error' | 'warn' | 'info' | 'debug';
  /**
   * How long the connector retries, with back-off, a broker it cannot reach — connecting at open,
   * a fetch, a send — before it fails the job (default limits.kafkaRetryTimeoutMsDefault, 5 min).
   * Retrying does not restart the job, so it spends none of its restart budget.
   */
  retryTimeoutMs?: number;
}

/** kafkajs's public API, loaded when a connector first connects (util/lazy-require.ts). */
export const kafkajs = lazyRequire<typeof import('kafkajs')>('kafkajs');

type LogLevelName = NonNullable<KafkaConnectionOptions['logLevel']>;
const logLevelNames: readonly LogLevelName[] = ['nothing', 'error', 'warn', 'info', 'debug'];

function kafkajsLogLevel(name: LogLevelName): logLevel {
  const l = kafkajs().logLevel;
  return { nothing: l.NOTHING, error: l.ERROR, warn: l.WARN, info: l.INFO, debug: l.DEBUG }[name];
}

export function checkConnection(o: KafkaConnectionOptions, who: string): void {
  if (!Array.isArray(o.brokers) || o.brokers.length === 0 || !o.brokers.every((b) => typeof b === 'string' && b.length > 0)) {
    throw new WeirError('WEIR_CONFIG', `${who}: brokers must be a non-empty array of "host:port" strings`);
  }
  if (o.logLevel !== undefined && !logLevelNames.includes(o.logLevel)) throw new WeirError('WEIR_CONFIG', `${who}: logLevel must be one of ${logLevelNames.join(', ')}`);
  const r = o.retryTimeoutMs;
  if (r !== undefined && !(typeof r === 'number' && Number.isFinite(r) && r >= 0)) throw new WeirError('WEIR_CONFIG', `${who}: retryTimeoutMs must be a number of ms ≥ 0, not ${JSON.stringify(r)}`);
}

/** Errors after which a connector waits and tries again: the broker or its metadata will come back. */
const transientNames = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSLockTimeout',
]);

/** A broker that cannot be reached (or has no leader, or timed out), as opposed to a refusal; looks through a WeirError to its cause. */
export function isTransientKafkaError(err: unknown): boolean {
  if (err instanceof WeirError) return err.cause !== undefined && isTransientKafkaError(err.cause);
  const e = err as { name?: string; retriable?: boolean; code?: string; type?: string; cause?: unknown; originalError?: unknown };
  if (e?.type === 'OFFSET_OUT_OF_RANGE') return false;
  if (e?.retriable === true || transientNames.has(e?.name ?? '') || e?.code === 'ECONNREFUSED' || e?.code === 'ECONNRESET') return true;
  // kafkajs's retrier wraps the last error when it gives up (KafkaJSNumberOfRetriesExceeded, or
  // KafkaJSNonRetriableError — "not retriable" by kafkajs itself — with it as `cause`).
  const inner = e?.cause ?? e?.originalError;
  return inner !== undefined && inner !== err && isTransientKafkaError(inner);
}

/** The outage tracker of one connector's connection (connection-retry.ts), with its retryTimeoutMs. */
export function kafkaOutage(o: KafkaConnectionOptions, what: string): Outage {
  return new Outage(what, o.retryTimeoutMs ?? limits.kafkaRetryTimeoutMsDefault, limits.kafkaRetryBackoffMs, limits.kafkaRetryBackoffMsMax);
}

/** Runs a connecting step of a Kafka connector, retrying while the broker cannot be reached (see KafkaConnectionOptions.retryTimeoutMs). */
export function withKafkaRetries<T>(o: KafkaConnectionOptions, what: string, attempt: () => Promise<T>, toError: (err: unknown) => WeirError): Promise<T> {
  return withRetries(kafkaOutage(o, what), attempt, isTransientKafkaError, toError);
}

function settings(o: KafkaConnectionOptions) {
  return {
    brokers: o.brokers,
    clientId: o.clientId ?? 'weir',
    ssl: o.ssl,
    sasl: o.sasl,
    connectionTimeoutMs: o.connectionTimeoutMs ?? limits.kafkaConnectionTimeoutMs,
    requestTimeoutMs: o.requestTimeoutMs ?? limits.kafkaRequestTimeoutMs,
    logLevel: kafkajsLogLevel(o.logLevel ?? 'error'),
  };
}

/** A kafkajs client (public API: producers, admin). */
export function kafkaClient(o: KafkaConnectionOptions): Kafka {
  const s = settings(o);
  return new (kafkajs().Kafka)({
    brokers: s.brokers,
    clientId: s.clientId,
    ssl: s.ssl,
    sasl: s.sasl,
    connectionTimeout: s.connectionTimeoutMs,
    requestTimeout: s.requestTimeoutMs,
    logLevel: s.logLevel,
    // The same few seconds of request retries as the Cluster's: a longer outage is retried, logged
    // and counted by the connector itself (connection-retry.ts), not silently inside kafkajs.
    retry: requestRetry,
  });
}

/** A kafkajs Cluster for partition-pinned fetching and transactions (see kafkajs-internals.ts). */
export function kafkaCluster(o: KafkaConnectionOptions, isolationLevel: 0 | 1): Cluster {
  return createCluster({ ...settings(o), isolationLevel });
}

export function kafkaLogLevel(o: KafkaConnectionOptions): logLevel {
  return kafkajsLogLevel(o.logLevel ?? 'error');
}

/** A kafkajs failure as a WeirError of `code`, naming the connector and keeping kafkajs's `retriable`. */
export function kafkaError(code: 'WEIR_SOURCE' | 'WEIR_SINK', what: string, err: unknown, partition?: number): WeirError {
  const e = err as { message?: string; retriable?: boolean; type?: string };
  const type = e?.type ? ` (${e.type})` : '';
  return new WeirError(code, `${what}: ${e?.message ?? String(err)}${type}`, { partition, retriable: e?.retriable ?? false, cause: err, operator: undefined });
}
