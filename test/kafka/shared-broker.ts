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

export interface SharedKafka {
  bootstrap: string[];
  logFile: string;
  createTopic(name: string, partitions: number, replication?: number): Promise<void>;
}

const lockWaitMs = 300_000;

export async function sharedKafka(): Promise<SharedKafka> {
  const runDir = inject('kafkaRunDir');
  const infoPath = join(runDir, 'broker.json');
  const lock = join(runDir, 'lock');
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (Date.now() > deadline) throw new Error(`waited ${lockWaitMs} ms for another test file to start the shared Kafka broker (lock ${lock})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
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

/** A topic name no other test of the run uses (the broker is shared by every Kafka test file). */
export function uniqueTopic(base: string): string {
  return `${base}-${randomUUID().slice(0, 8)}`;
}
