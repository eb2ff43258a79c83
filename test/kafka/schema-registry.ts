/**
 * A real schema registry with a Confluent-compatible API for the Kafka schema tests and for local
 * runs: Apicurio Registry (its API at /apis/ccompat/v7), its schemas in memory, on loopback. It is
 * built once with Maven from test/kafka/real/schema-registry/pom.xml (a Quarkus build of
 * Apicurio's published jar; the pom says why it is that version) into a cache folder,
 * ~/.cache/weir/apicurio-registry-<version> or $WEIR_SCHEMA_REGISTRY_HOME.
 *
 * Like the broker (real-broker.ts) it runs under a watchdog that stops it when its owner process is
 * gone; start-up is bounded and its failure is an error naming the log file, never a skip.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, groupAlive, launchWatched, mavenIntoCache, stopBroker } from './real-broker.ts';

const projectDir = fileURLToPath(new URL('./real/schema-registry/', import.meta.url));
const pomPath = join(projectDir, 'pom.xml');
/** Generous: the JVM shares 2 cores with the test workers (an idle machine starts it in ~6 s). */
const startTimeoutMs = Number(process.env.WEIR_SCHEMA_REGISTRY_START_TIMEOUT_MS ?? 120_000);
const runnerJar = 'schema-registry-1-runner.jar';

export const schemaRegistryVersion = /<apicurio\.version>([^<]+)<\/apicurio\.version>/.exec(readFileSync(pomPath, 'utf8'))![1];

/** Where the built registry is (built on first use). */
export function schemaRegistryHome(): string {
  return process.env.WEIR_SCHEMA_REGISTRY_HOME ?? join(homedir(), '.cache', 'weir', `apicurio-registry-${schemaRegistryVersion}`);
}

/** Builds the registry with Maven unless the cache folder has it; returns the runnable jar's path. */
export function fetchSchemaRegistry(): string {
  const home = schemaRegistryHome();
  const jar = join(home, runnerJar);
  mavenIntoCache({
    what: `Apicurio Registry ${schemaRegistryVersion}`,
    dir: home,
    ready: jar,
    mvnArgs: (out) => ['-f', pomPath, 'package', '-DskipTests', `-Dregistry.build.dir=${out}`],
  });
  return jar;
}

export interface SchemaRegistryInfo {
  /** The Confluent-compatible API's base URL (…/apis/ccompat/v7). */
  url: string;
  /** The watchdog's pid (a process group of its own: it and the JVM). */
  pid: number;
  dir: string;
  logFile: string;
}

export interface SchemaRegistry extends SchemaRegistryInfo {
  /** Stops the registry and removes its temp dir (its schemas are gone). */
  destroy(): Promise<void>;
}

export interface SchemaRegistryOptions {
  /** The process whose exit stops the registry (default: this one). */
  ownerPid?: number;
  /** A fixed port instead of a free one. */
  port?: number;
}

/** Starts Apicurio Registry, schemas in memory, on a loopback port; resolves when its API answers. */
export async function startSchemaRegistry(options: SchemaRegistryOptions = {}): Promise<SchemaRegistry> {
  const jar = fetchSchemaRegistry();
  const dir = mkdtempSync(join(tmpdir(), 'weir-schema-registry-'));
  const port = options.port ?? (await freePort());
  const logFile = join(dir, 'registry.log');
  writeFileSync(logFile, '');
  const url = `http://127.0.0.1:${port}/apis/ccompat/v7`;
  const args = [
    'java',
    '-Xms64m',
    '-Xmx384m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    `-Dquarkus.http.port=${port}`,
    '-Dquarkus.http.host=127.0.0.1',
    // Its metrics, health and tracing are of no use to a test and cost start-up time.
    '-Dquarkus.log.level=WARN',
    '-Dquarkus.log.category."io.apicurio".level=INFO',
    '-jar',
    jar,
  ];
  const pid = launchWatched(args, logFile, options.ownerPid ?? process.pid);
  const info: SchemaRegistryInfo = { url, pid, dir, logFile };
  await waitAnswering(info);
  return {
    ...info,
    destroy: async () => {
      await stopBroker(pid, 'SIGKILL'); // its schemas are in memory: nothing to shut down cleanly
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitAnswering(info: SchemaRegistryInfo): Promise<void> {
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    const status = await fetch(`${info.url}/subjects`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    const log = () => readFileSync(info.logFile, 'utf8').slice(-3000);
    if (!groupAlive(info.pid)) throw new Error(`the schema registry exited before it answered; its log: ${info.logFile}\n${log()}`);
    if (Date.now() > deadline) {
      await stopBroker(info.pid, 'SIGKILL');
      throw new Error(`the schema registry did not answer at ${info.url} within ${startTimeoutMs} ms (WEIR_SCHEMA_REGISTRY_START_TIMEOUT_MS); its log: ${info.logFile}\n${log()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
