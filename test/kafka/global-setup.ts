/**
 * vitest globalSetup: gives the test files of one run a folder in which the first Kafka test file
 * starts the run's shared broker (test/kafka/shared-broker.ts), and the first schema test file the
 * shared schema registry, and stops them when the run ends. Runs that include no Kafka test start no broker.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { stopBroker, type KafkaBrokerInfo } from './real-broker.ts';
import type { SchemaRegistryInfo } from './schema-registry.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaRunDir: string;
    kafkaOwnerPid: number;
  }
}

export default function setup(project: TestProject) {
  const runDir = mkdtempSync(join(tmpdir(), 'weir-kafka-run-'));
  project.provide('kafkaRunDir', runDir);
  project.provide('kafkaOwnerPid', process.pid);
  return async () => {
    await stopSharedKafka(runDir);
    await stopSharedSchemaRegistry(runDir);
    rmSync(runDir, { recursive: true, force: true });
  };
}

/** Stops the run's shared broker, if a test file started one, and removes its folder. */
async function stopSharedKafka(runDir: string): Promise<void> {
  const infoPath = join(runDir, 'broker.json');
  if (!existsSync(infoPath)) return;
  const info = JSON.parse(readFileSync(infoPath, 'utf8')) as KafkaBrokerInfo;
  await stopBroker(info.pid, 'SIGKILL'); // its data is thrown away: no need for a clean shutdown
  rmSync(info.dir, { recursive: true, force: true });
}

/** Stops the run's shared schema registry, if a test file started one, and removes its folder. */
async function stopSharedSchemaRegistry(runDir: string): Promise<void> {
  const infoPath = join(runDir, 'schema-registry.json');
  if (!existsSync(infoPath)) return;
  const info = JSON.parse(readFileSync(infoPath, 'utf8')) as SchemaRegistryInfo;
  await stopBroker(info.pid, 'SIGKILL'); // its schemas are in memory: nothing to shut down cleanly
  rmSync(info.dir, { recursive: true, force: true });
}
