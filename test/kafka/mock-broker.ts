/**
 * A real Kafka wire-protocol broker for tests: librdkafka's mock cluster, started through the
 * launcher in mock-broker.c (compiled here on first use into a cache dir keyed by the source's
 * hash, so an edited launcher is rebuilt). Needs Debian's librdkafka-dev (.ci/run installs it);
 * without it startMockKafka() throws with the command to run — tests fail, they never skip.
 *
 * What the mock cannot do (librdkafka 2.0.2), so tests that would need it say so by name:
 *  - CreateTopics is not implemented, and Metadata names controller 0 (no such broker): kafkajs
 *    admin.createTopics and `idempotent: true` producers fail. Topics are made with createTopic().
 *  - read_committed fetches are not filtered: aborted transactional records are returned (with
 *    no aborted-transactions list), so a consumer cannot show that an abort hid records. No
 *    control records (commit/abort markers) are written, InitProducerId does not fence an older
 *    producer of the same transactional id, and EndTxn checks no producer epoch.
 *  - TxnOffsetCommit accepts the offsets and drops them (the group's offsets do not change).
 *  - ListOffsets by timestamp answers -1 (no such record) for every timestamp.
 *  - Metadata requests create unknown topics (so "topic does not exist" cannot be shown).
 *  - A fetch returns one record batch (a real broker fills up to maxBytes).
 *  - A partition keeps only its newest few MB (seen: 116 000 records of ~45 bytes); older records
 *    are dropped as if by retention, so tests and benchmarks stay below that.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const sourcePath = fileURLToPath(new URL('./mock-broker.c', import.meta.url));
const header = '/usr/include/librdkafka/rdkafka_mock.h';
const replyTimeoutMs = 10_000;

export interface MockKafka {
  /** host:port of every broker (broker ids are 1..N in the order given). */
  bootstrap: string[];
  createTopic(name: string, partitions: number, replication?: number): Promise<void>;
  /** Disconnects broker `id` (1..N, -1 = all) and refuses new connections; no leader change. */
  brokerDown(id: number): Promise<void>;
  brokerUp(id: number): Promise<void>;
  /** Delays every response of broker `id` by `ms`. */
  brokerRtt(id: number, ms: number): Promise<void>;
  /** The next `codes.length` requests with Kafka API key `apiKey` fail with these error codes, in order. */
  pushErrors(apiKey: number, ...codes: number[]): Promise<void>;
  stop(): Promise<void>;
}

/** Builds the launcher if needed; returns its path. Throws a clear error when librdkafka-dev is missing. */
export function mockBrokerBinary(): string {
  const source = readFileSync(sourcePath);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'weir-mock-kafka');
  const binary = join(dir, `mock-broker-${hash}`);
  if (existsSync(binary)) return binary;
  if (!existsSync(header)) {
    throw new Error(`the Kafka tests need librdkafka's mock cluster: ${header} is missing. Install it with: apt-get install -y librdkafka-dev (.ci/run does)`);
  }
  mkdirSync(dir, { recursive: true });
  const partial = `${binary}.${process.pid}.tmp`;
  try {
    execFileSync('cc', ['-O1', '-Wall', '-o', partial, sourcePath, '-lrdkafka'], { stdio: 'pipe' });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`cannot build the mock Kafka broker (cc ${sourcePath} -lrdkafka): ${(err as Error).message}\n${stderr}`);
  }
  renameSync(partial, binary); // atomic: parallel test files never run a half-written binary
  return binary;
}

/** Starts a mock Kafka cluster of `brokers` brokers in a child process. */
export async function startMockKafka({ brokers = 1 }: { brokers?: number } = {}): Promise<MockKafka> {
  const child = spawn(mockBrokerBinary(), [String(brokers)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout });
  const waiting: Array<{ resolve(line: string): void; reject(err: Error): void }> = [];
  let exited: Error | undefined;
  lines.on('line', (line) => waiting.shift()?.resolve(line));
  child.on('exit', (code, signal) => {
    exited = new Error(`mock Kafka broker exited (code ${code}, signal ${signal}): ${stderr.trim()}`);
    for (const w of waiting.splice(0)) w.reject(exited);
  });
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      if (exited) return reject(exited);
      const timer = setTimeout(() => reject(new Error(`mock Kafka broker did not answer within ${replyTimeoutMs} ms`)), replyTimeoutMs);
      waiting.push({
        resolve: (l) => (clearTimeout(timer), resolve(l)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
    });

  const first = await nextLine();
  const m = /^bootstrap (.+)$/.exec(first);
  if (!m) {
    child.kill();
    throw new Error(`mock Kafka broker: unexpected first line ${JSON.stringify(first)}`);
  }
  // Commands are answered in order, one line each; serialise them so replies match.
  let queue: Promise<unknown> = Promise.resolve();
  const command = (line: string): Promise<void> => {
    const next = queue.then(async () => {
      const reply = nextLine();
      child.stdin.write(`${line}\n`);
      const answer = await reply;
      if (answer !== 'ok') throw new Error(`mock Kafka broker: "${line}" → ${answer}`);
    });
    queue = next.catch(() => {});
    return next;
  };
  return {
    bootstrap: m[1].split(','),
    createTopic: (name, partitions, replication = 1) => command(`create topic ${name} ${partitions} ${replication}`),
    brokerDown: (id) => command(`broker down ${id}`),
    brokerUp: (id) => command(`broker up ${id}`),
    brokerRtt: (id, ms) => command(`broker rtt ${id} ${ms}`),
    pushErrors: (apiKey, ...codes) => command(`errors ${apiKey} ${codes.join(' ')}`),
    stop: () => stopChild(child),
  };
}

function stopChild(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.stdin.end('quit\n');
  });
}
