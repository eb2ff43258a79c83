/**
 * The Kafka broker that every Kafka test file of a run shares: the first file to ask starts it,
 * under a lock in the run's folder (vitest runs two files at a time, in separate workers), and
 * writes where it is to broker.json there; the others read it. The run's globalSetup stops it
 * (test/kafka/global-setup.ts). Tests share it by making their own topics: uniqueTopic().
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { inject } from 'vitest';
import { createTopic, startKafkaBroker, type KafkaBrokerInfo } from './real-broker.ts';
import { startSchemaRegistry, type SchemaRegistryInfo } from './schema-registry.ts';

export interface SharedKafka {
  bootstrap: string[];
  logFile: string;
  createTopic(name: string, partitions: number, replication?: number): Promise<void>;
}

const lockWaitMs = 300_000;

export async function sharedKafka(): Promise<SharedKafka> {
  const runDir = inject('kafkaRunDir');
  const infoPath = join(runDir, 'broker.json');
  const lock = await takeRunLock(runDir);
  try {
    let info: KafkaBrokerInfo;
    if (existsSync(infoPath)) {
      info = JSON.parse(readFileSync(infoPath, 'utf8')) as KafkaBrokerInfo;
    } else {
      const broker = await startKafkaBroker({ ownerPid: inject('kafkaOwnerPid') });
      info = { bootstrap: broker.bootstrap, pid: broker.pid, dir: broker.dir, logFile: broker.logFile };
      writeFileSync(infoPath, JSON.stringify(info));
    }
    return {
      bootstrap: info.bootstrap,
      logFile: info.logFile,
      createTopic: (name, partitions, replication) => createTopic(info.bootstrap, name, partitions, replication),
    };
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * The schema registry that the Kafka schema test files of a run share (Apicurio Registry, schemas
 * in memory; test/kafka/schema-registry.ts), started by the first file to ask, like the broker;
 * the run's globalSetup stops it. Tests share it by using their own subjects (a unique topic's).
 * Returns the base URL of its Confluent-compatible API.
 */
export async function sharedSchemaRegistry(): Promise<string> {
  const runDir = inject('kafkaRunDir');
  const infoPath = join(runDir, 'schema-registry.json');
  const lock = await takeRunLock(runDir);
  try {
    if (existsSync(infoPath)) return (JSON.parse(readFileSync(infoPath, 'utf8')) as SchemaRegistryInfo).url;
    const registry = await startSchemaRegistry({ ownerPid: inject('kafkaOwnerPid') });
    const info: SchemaRegistryInfo = { url: registry.url, pid: registry.pid, dir: registry.dir, logFile: registry.logFile };
    writeFileSync(infoPath, JSON.stringify(info));
    return info.url;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Takes the run folder's lock (a directory: mkdir is atomic); the caller removes it. */
async function takeRunLock(runDir: string): Promise<string> {
  const lock = join(runDir, 'lock');
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    try {
      mkdirSync(lock);
      return lock;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (Date.now() > deadline) throw new Error(`waited ${lockWaitMs} ms for another test file to start the run's shared Kafka broker or schema registry (lock ${lock})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A topic name no other test of the run uses (the broker is shared by every Kafka test file). */
export function uniqueTopic(base: string): string {
  return `${base}-${randomUUID().slice(0, 8)}`;
}
