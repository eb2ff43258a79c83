/** How weir's Kafka connectors connect: the options every Kafka source and sink take, passed through to kafkajs. */
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { WeirError } from '../../errors.ts';
import { limits } from '../../limits.ts';
import { createCluster, type Cluster } from './kafkajs-internals.ts';

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
}

const levels = { nothing: logLevel.NOTHING, error: logLevel.ERROR, warn: logLevel.WARN, info: logLevel.INFO, debug: logLevel.DEBUG } as const;

export function checkConnection(o: KafkaConnectionOptions, who: string): void {
  if (!Array.isArray(o.brokers) || o.brokers.length === 0 || !o.brokers.every((b) => typeof b === 'string' && b.length > 0)) {
    throw new WeirError('WEIR_CONFIG', `${who}: brokers must be a non-empty array of "host:port" strings`);
  }
  if (o.logLevel !== undefined && !(o.logLevel in levels)) throw new WeirError('WEIR_CONFIG', `${who}: logLevel must be one of ${Object.keys(levels).join(', ')}`);
}

function settings(o: KafkaConnectionOptions) {
  return {
    brokers: o.brokers,
    clientId: o.clientId ?? 'weir',
    ssl: o.ssl,
    sasl: o.sasl,
    connectionTimeoutMs: o.connectionTimeoutMs ?? limits.kafkaConnectionTimeoutMs,
    requestTimeoutMs: o.requestTimeoutMs ?? limits.kafkaRequestTimeoutMs,
    logLevel: levels[o.logLevel ?? 'error'],
  };
}

/** A kafkajs client (public API: producers, admin). */
export function kafkaClient(o: KafkaConnectionOptions): Kafka {
  const s = settings(o);
  return new Kafka({
    brokers: s.brokers,
    clientId: s.clientId,
    ssl: s.ssl,
    sasl: s.sasl,
    connectionTimeout: s.connectionTimeoutMs,
    requestTimeout: s.requestTimeoutMs,
    logLevel: s.logLevel,
  });
}

/** A kafkajs Cluster for partition-pinned fetching and transactions (see kafkajs-internals.ts). */
export function kafkaCluster(o: KafkaConnectionOptions, isolationLevel: 0 | 1): Cluster {
  return createCluster({ ...settings(o), isolationLevel });
}

export function kafkaLogLevel(o: KafkaConnectionOptions): logLevel {
  return levels[o.logLevel ?? 'error'];
}

/** A kafkajs failure as a WeirError of `code`, naming the connector and keeping kafkajs's `retriable`. */
export function kafkaError(code: 'WEIR_SOURCE' | 'WEIR_SINK', what: string, err: unknown, partition?: number): WeirError {
  const e = err as { message?: string; retriable?: boolean; type?: string };
  const type = e?.type ? ` (${e.type})` : '';
  return new WeirError(code, `${what}: ${e?.message ?? String(err)}${type}`, { partition, retriable: e?.retriable ?? false, cause: err, operator: undefined });
}
