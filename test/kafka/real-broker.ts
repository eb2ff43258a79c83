/**
 * Apache Kafka brokers for the tests and for local runs: the real thing, KRaft mode (no ZooKeeper),
 * on loopback. The broker's jars are fetched once with Maven (test/kafka/real/pom.xml) into a cache
 * folder, ~/.cache/weir/kafka-<version> or $WEIR_KAFKA_HOME; each broker gets a temp dir holding
 * its server.properties, its formatted storage and its log (broker.log).
 *
 * A broker runs under a small bash watchdog that stops it when its owner process is gone, so a
 * test run that is killed does not leave a JVM behind. Start-up is bounded and its failure is an
 * error naming the log file: the tests need a broker, they never skip without one.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

const pomPath = fileURLToPath(new URL('./real/pom.xml', import.meta.url));
const log4jPath = fileURLToPath(new URL('./real/log4j2.properties', import.meta.url));
/** Generous: the JVM shares 2 cores with the test workers (an idle machine starts it in ~4 s). */
const startTimeoutMs = Number(process.env.WEIR_KAFKA_START_TIMEOUT_MS ?? 120_000);
const stopTimeoutMs = 20_000;

export const kafkaVersion = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(pomPath, 'utf8'))![1];

/** Where the broker's jars are (fetched on first use). */
export function kafkaHome(): string {
  return process.env.WEIR_KAFKA_HOME ?? join(homedir(), '.cache', 'weir', `kafka-${kafkaVersion}`);
}

/** Fetches Kafka's jars with Maven unless the cache folder has them; returns the libs folder. */
export function fetchKafka(): string {
  const libs = join(kafkaHome(), 'libs');
  mavenIntoCache({
    what: `Apache Kafka ${kafkaVersion}`,
    dir: libs,
    ready: join(libs, `kafka_2.13-${kafkaVersion}.jar`),
    mvnArgs: (out) => ['-f', pomPath, 'dependency:copy-dependencies', `-DoutputDirectory=${out}`, '-DincludeScope=runtime'],
  });
  return libs;
}

/**
 * Runs a Maven build whose output is folder `dir` of the cache, unless `ready` (a file in it) is
 * there already: into a temporary sibling first, then renamed into place, so another process
 * building at the same time never sees half a folder. Missing tools and a failed build are errors
 * that say what to install or what Maven said.
 */
export function mavenIntoCache(build: { what: string; dir: string; ready: string; mvnArgs: (outDir: string) => string[] }): void {
  if (existsSync(build.ready)) return;
  for (const tool of ['mvn', 'java']) {
    try {
      execFileSync(tool, ['-version'], { stdio: 'ignore' });
    } catch {
      throw new Error(`the Kafka tests run ${build.what}, built with Maven and run on Java 17+: '${tool}' is missing. Install them with: apt-get install -y maven openjdk-17-jre-headless (.ci/run does)`);
    }
  }
  mkdirSync(join(build.dir, '..'), { recursive: true });
  const partial = `${build.dir}.${process.pid}.tmp`;
  rmSync(partial, { recursive: true, force: true });
  const args = ['-q', '-B', ...build.mvnArgs(partial)];
  try {
    execFileSync('mvn', args, { stdio: 'pipe' });
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    const out = `${(err as { stdout?: Buffer }).stdout ?? ''}${(err as { stderr?: Buffer }).stderr ?? ''}`;
    throw new Error(`cannot build ${build.what} with Maven (mvn ${args.join(' ')}): ${(err as Error).message}\n${out.slice(-4000)}`);
  }
  try {
    renameSync(partial, build.dir);
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(build.ready)) throw err;
  }
}

export interface KafkaBrokerOptions {
  /** The process whose exit stops the broker (default: this one). */
  ownerPid?: number;
  /** Fixed ports instead of free ones (the local broker of `npm run kafka:broker`). */
  port?: number;
  controllerPort?: number;
  /** Lets the group coordinator accept session timeouts down to this (Kafka's default is 6 s). */
  minSessionTimeoutMs?: number;
  /** The broker's temp dir (default: a new one). */
  dir?: string;
}

/** What it takes to reach a running broker; JSON, so that processes can share one broker. */
export interface KafkaBrokerInfo {
  bootstrap: string[];
  /** The watchdog's pid (a process group of its own: it and the JVM). */
  pid: number;
  dir: string;
  logFile: string;
}

export interface KafkaBroker extends KafkaBrokerInfo {
  createTopic(name: string, partitions: number, replication?: number): Promise<void>;
  /** Stops the JVM (SIGTERM, SIGKILL after a while) and waits for it; the storage stays. */
  stop(): Promise<void>;
  /** SIGKILLs the JVM: a crash, no controlled shutdown. */
  kill(): Promise<void>;
  /** Starts the stopped broker again on the same ports and storage. */
  restart(): Promise<void>;
  /** Stops the broker and removes its temp dir. */
  destroy(): Promise<void>;
}

/** Starts a single-node Kafka (broker and KRaft controller in one JVM) on loopback. */
export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const libs = fetchKafka();
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'weir-kafka-'));
  const port = options.port ?? (await freePort());
  const controllerPort = options.controllerPort ?? (await freePort());
  const properties = join(dir, 'server.properties');
  const logFile = join(dir, 'broker.log');
  writeFileSync(properties, serverProperties(join(dir, 'data'), port, controllerPort, options.minSessionTimeoutMs ?? 1_000));
  formatStorage(libs, properties, logFile);
  const info: KafkaBrokerInfo = { bootstrap: [`127.0.0.1:${port}`], pid: 0, dir, logFile };
  const ownerPid = options.ownerPid ?? process.pid;
  const launch = async () => {
    info.pid = launchBroker(libs, properties, logFile, ownerPid);
    await waitStarted(info);
  };
  await launch();
  await warmUp(info.bootstrap);
  return {
    ...info,
    get pid() {
      return info.pid;
    },
    createTopic: (name, partitions, replication = 1) => createTopic(info.bootstrap, name, partitions, replication),
    stop: () => stopBroker(info.pid, 'SIGTERM'),
    kill: () => stopBroker(info.pid, 'SIGKILL'),
    restart: launch,
    destroy: async () => {
      await stopBroker(info.pid, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One node's place in its cluster: a single node (the default) or one voter of a static quorum. */
interface NodeRole {
  nodeId: number;
  /** `controller.quorum.voters` of a cluster of several nodes; undefined: a single node bootstrapping itself. */
  voters?: string;
  /** Replication of the internal topics (offsets, transactions): the cluster's size, at most 3. */
  replication: number;
}

const singleNode: NodeRole = { nodeId: 1, replication: 1 };

function serverProperties(dataDir: string, port: number, controllerPort: number, minSessionTimeoutMs: number, role: NodeRole = singleNode): string {
  const minIsr = Math.min(2, role.replication);
  return `${[
    'process.roles=broker,controller',
    `node.id=${role.nodeId}`,
    role.voters === undefined ? `controller.quorum.bootstrap.servers=127.0.0.1:${controllerPort}` : `controller.quorum.voters=${role.voters}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    // The internal topics are replicated as far as the cluster allows; few partitions load fast.
    `offsets.topic.replication.factor=${role.replication}`,
    'offsets.topic.num.partitions=4',
    `transaction.state.log.replication.factor=${role.replication}`,
    `transaction.state.log.min.isr=${minIsr}`,
    'transaction.state.log.num.partitions=4',
    `share.coordinator.state.topic.replication.factor=${role.replication}`,
    `share.coordinator.state.topic.min.isr=${minIsr}`,
    // A write is acknowledged once on two replicas where there are two (acks=all).
    `min.insync.replicas=${minIsr}`,
    // Tests form groups of short-lived members: no waiting for more to join, short sessions allowed.
    'group.initial.rebalance.delay.ms=0',
    `group.min.session.timeout.ms=${minSessionTimeoutMs}`,
    // Tests write records with timestamps from 2023 (1.7e12). With the default retention (7 days,
    // judged by the records' own timestamps) each retention check — 30 s after the start, then
    // every 5 minutes — deleted whatever such records a test had just written, active segment
    // and all: a partition read from 'earliest' came back empty (log start offset = its end).
    'log.retention.ms=-1',
    // Two cores: few threads.
    'num.network.threads=2',
    'num.io.threads=4',
    'num.recovery.threads.per.data.dir=1',
    'background.threads=4',
  ].join('\n')}\n`;
}

function java(libs: string, log4j = true): string[] {
  return ['-Xms128m', '-Xmx512m', '-XX:+UseSerialGC', '-Djava.awt.headless=true', ...(log4j ? [`-Dlog4j2.configurationFile=${log4jPath}`] : []), '-cp', join(libs, '*')];
}

export interface KafkaNode {
  nodeId: number;
  bootstrap: string[];
  logFile: string;
  /** Stops the node's JVM (SIGTERM) and waits for it; its storage stays. */
  stop(): Promise<void>;
  /** SIGKILLs the node's JVM: a crash. */
  kill(): Promise<void>;
  /** Starts the stopped node again on the same ports and storage. */
  restart(): Promise<void>;
}

export interface KafkaCluster {
  /** Every node's listener. */
  bootstrap: string[];
  nodes: KafkaNode[];
  createTopic(name: string, partitions: number, replication: number): Promise<void>;
  /** Stops every node and removes their temp dirs. */
  destroy(): Promise<void>;
}

/**
 * Several Kafka nodes on loopback, each broker and controller, one static KRaft quorum of all of
 * them (a majority must be up), internal topics replicated on up to 3 of them: for the tests where
 * a broker fails and another takes over its partitions' leadership.
 */
export async function startKafkaCluster(size: number, options: Pick<KafkaBrokerOptions, 'minSessionTimeoutMs'> = {}): Promise<KafkaCluster> {
  const libs = fetchKafka();
  const clusterId = newClusterId();
  const ports = await Promise.all(Array.from({ length: size }, async () => ({ port: await freePort(), controllerPort: await freePort() })));
  const voters = ports.map((p, i) => `${i + 1}@127.0.0.1:${p.controllerPort}`).join(',');
  const members = ports.map(({ port, controllerPort }, i) => {
    const dir = mkdtempSync(join(tmpdir(), `weir-kafka-node${i + 1}-`));
    const properties = join(dir, 'server.properties');
    const logFile = join(dir, 'broker.log');
    writeFileSync(properties, serverProperties(join(dir, 'data'), port, controllerPort, options.minSessionTimeoutMs ?? 1_000, { nodeId: i + 1, voters, replication: Math.min(3, size) }));
    formatStorage(libs, properties, logFile, clusterId, false);
    const info: KafkaBrokerInfo = { bootstrap: [`127.0.0.1:${port}`], pid: 0, dir, logFile };
    const launch = () => void (info.pid = launchBroker(libs, properties, logFile, process.pid));
    const node: KafkaNode = {
      nodeId: i + 1,
      bootstrap: info.bootstrap,
      logFile,
      stop: () => stopBroker(info.pid, 'SIGTERM'),
      kill: () => stopBroker(info.pid, 'SIGKILL'),
      restart: async () => {
        launch();
        await waitStarted(info);
      },
    };
    return { node, info, launch };
  });
  const destroy = async () => {
    await Promise.all(members.map((m) => m.node.stop()));
    for (const m of members) rmSync(m.info.dir, { recursive: true, force: true });
  };
  try {
    // All at once: a node waits for a quorum of the others before it says it has started.
    for (const m of members) m.launch();
    await Promise.all(members.map((m) => waitStarted(m.info)));
    const bootstrap = members.flatMap((m) => m.info.bootstrap);
    await warmUp(bootstrap, Math.min(3, size));
    return { bootstrap, nodes: members.map((m) => m.node), createTopic: (name, partitions, replication) => createTopic(bootstrap, name, partitions, replication), destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}

/** A cluster id is 16 random bytes, base64url without padding (what `kafka-storage random-uuid` prints). */
function newClusterId(): string {
  // Like Kafka's Uuid.randomUuid, never one starting with '-', which would read as an option.
  let clusterId: string;
  do clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-'));
  return clusterId;
}

/** Formats a node's storage: a single node bootstraps a quorum of itself; a cluster's nodes share one id and a static quorum. */
function formatStorage(libs: string, properties: string, logFile: string, clusterId = newClusterId(), standalone = true): void {
  try {
    execFileSync('java', [...java(libs), 'kafka.tools.StorageTool', 'format', ...(standalone ? ['--standalone'] : []), '-t', clusterId, '-c', properties], { stdio: 'pipe' });
  } catch (err) {
    const out = `${(err as { stdout?: Buffer }).stdout ?? ''}${(err as { stderr?: Buffer }).stderr ?? ''}`;
    writeFileSync(logFile, out);
    throw new Error(`cannot format the Kafka broker's storage (kafka.tools.StorageTool format -c ${properties}): ${(err as Error).message}; its output: ${logFile}\n${out.slice(-2000)}`);
  }
}

/** Starts the JVM under a watchdog that stops it when `ownerPid` exits; returns the watchdog's pid (its process group). */
function launchBroker(libs: string, properties: string, logFile: string, ownerPid: number): number {
  return launchWatched(['java', ...java(libs), 'kafka.Kafka', properties], logFile, ownerPid);
}

/**
 * Starts a command (a JVM: the broker, the schema registry) under a bash watchdog that stops it
 * when `ownerPid` exits, its output appended to `logFile`; returns the watchdog's pid, the leader
 * of a process group of its own (stop it with stopBroker).
 */
export function launchWatched(args: string[], logFile: string, ownerPid: number): number {
  const command = args.map(shellQuote).join(' ');
  const script = `${command} & j=$!
trap 'kill -TERM $j 2>/dev/null; wait $j; exit' TERM INT
while kill -0 ${ownerPid} 2>/dev/null && kill -0 $j 2>/dev/null; do sleep 1 & wait $!; done
kill -TERM $j 2>/dev/null; wait $j`;
  writeFileSync(logFile, '', { flag: 'a' });
  const out = openSync(logFile, 'a');
  const child = spawn('bash', ['-c', script], { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  closeSync(out);
  return child.pid!;
}

async function waitStarted(info: KafkaBrokerInfo): Promise<void> {
  const deadline = Date.now() + startTimeoutMs;
  const startedAt = readFileSync(info.logFile, 'utf8').length;
  for (;;) {
    const log = readFileSync(info.logFile, 'utf8').slice(startedAt);
    if (log.includes('Kafka Server started')) return;
    if (!groupAlive(info.pid)) throw new Error(`the Kafka broker exited before it started; its log: ${info.logFile}\n${log.slice(-3000)}`);
    if (Date.now() > deadline) {
      await stopBroker(info.pid, 'SIGKILL');
      throw new Error(`the Kafka broker did not start within ${startTimeoutMs} ms (WEIR_KAFKA_START_TIMEOUT_MS); its log: ${info.logFile}\n${log.slice(-3000)}`);
    }
    await sleep(100);
  }
}

/**
 * The first group and transaction requests make the broker create its internal topics, and until
 * their partitions have loaded it answers "coordinator not available / loading / not the
 * coordinator". One transaction with offsets, committed, waits that out here once, not in a test.
 */
async function warmUp(bootstrap: string[], replication = 1): Promise<void> {
  const kafka = new Kafka({ brokers: bootstrap, logLevel: logLevel.NOTHING, clientId: 'weir-warm-up' });
  // Replicated like every topic of a cluster: a topic left without a leader when a broker dies
  // fails every client's metadata request for all topics (kafkajs reads an empty topic list so).
  const deadline = Date.now() + startTimeoutMs;
  // Just after "Kafka Server started" a KRaft broker's metadata can still name no controller (-1),
  // and kafkajs then fails the create before sending it (KafkaJSBrokerNotFound): ask again.
  for (;;) {
    try {
      await createTopic(bootstrap, '__weir_warm_up', 1, replication);
      break;
    } catch (err) {
      if ((err as Error).name !== 'KafkaJSBrokerNotFound' || Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
  for (let attempt = 0; ; attempt++) {
    const producer = kafka.producer({ transactionalId: `weir-warm-up-${attempt}`, maxInFlightRequests: 1, idempotent: true });
    try {
      await producer.connect();
      const txn = await producer.transaction();
      await txn.send({ topic: '__weir_warm_up', messages: [{ value: 'x' }] });
      await txn.sendOffsets({ consumerGroupId: 'weir-warm-up', topics: [{ topic: '__weir_warm_up', partitions: [{ partition: 0, offset: '1' }] }] });
      await txn.commit();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the Kafka broker at ${bootstrap} started but its group and transaction coordinators did not answer within ${startTimeoutMs} ms: ${(err as Error).message}`);
      await sleep(200);
    } finally {
      await producer.disconnect().catch(() => {});
    }
  }
}

export async function createTopic(bootstrap: string[], name: string, partitions: number, replication = 1): Promise<void> {
  const admin = new Kafka({ brokers: bootstrap, logLevel: logLevel.NOTHING, clientId: 'weir-test-admin' }).admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions, replicationFactor: replication }], waitForLeaders: false });
    if (!created) throw new Error(`topic ${name} exists already: tests need a fresh topic each`);
    // kafkajs's waitForLeaders gives up on UNKNOWN_TOPIC_OR_PARTITION, which a KRaft broker answers
    // until the new topic's metadata has reached it: wait for every partition's leader here.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ready = await admin.fetchTopicMetadata({ topics: [name] }).then(
        ({ topics }) => topics[0]?.partitions.length === partitions && topics[0].partitions.every((p) => p.leader >= 0 && p.partitionErrorCode === 0),
        () => false,
      );
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`topic ${name} has no leader for every partition 60 s after it was created`);
      await sleep(50);
    }
  } finally {
    await admin.disconnect();
  }
}

/** Signals the watchdog's process group and waits until the JVM is gone (SIGKILL after stopTimeoutMs). */
export async function stopBroker(pid: number, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (!pid || !groupAlive(pid)) return;
  try {
    process.kill(-pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + stopTimeoutMs;
  while (groupAlive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
    }
    await sleep(50);
  }
}

export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
