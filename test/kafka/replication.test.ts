// A cluster of three real Kafka brokers, every topic replicated three times (min.insync.replicas
// 2): the broker leading the job's input partitions is SIGKILLed mid-run. Leadership moves to the
// other replicas, the job — exactly-once into Kafka — goes on (restarting from its checkpoint if a
// transaction is cut), and a read_committed consumer sees every expected count exactly once: no
// acknowledged record was lost with the broker.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/checkpoint-store.ts';
import type { CheckpointMetadata } from '../../src/checkpoint/metadata.ts';
import { run } from '../../src/runtime/index.ts';
import type { CountOut } from '../jobs/kafka-eo-counts.ts';
import { jobUrl, tempDir } from '../helpers.ts';
import { startKafkaCluster, type KafkaCluster } from './real-broker.ts';
import { produce, readCommitted, until } from './util.ts';

let kafka: KafkaCluster;
const dir = tempDir('weir-kafka-replication-');
beforeAll(async () => {
  kafka = await startKafkaCluster(3);
});
afterAll(async () => {
  await kafka?.destroy();
  dir.remove();
});

/** The node id leading each partition of `topic`. */
async function leaders(bootstrap: string[], topic: string): Promise<number[]> {
  const admin = new Kafka({ brokers: bootstrap, logLevel: logLevel.NOTHING, clientId: 'weir-test-leaders' }).admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0].partitions.sort((a, b) => a.partitionId - b.partitionId).map((p) => p.leader);
  } finally {
    await admin.disconnect();
  }
}

describe('a replicated topic on three real brokers, one of them killed', () => {
  it('exactly-once: the broker leading input partitions is SIGKILLed mid-run; leadership moves and a read_committed consumer sees every expected count exactly once', async () => {
    const keys = 41;
    const partitions = 4;
    const n = 2400;
    const input = (from: number, to: number) => Array.from({ length: to - from }, (_, j) => ({ key: `k${(from + j) % keys}`, value: JSON.stringify({ k: `k${(from + j) % keys}`, i: from + j }) }));
    const expected: string[] = [];
    for (let k = 0; k < keys; k++) for (let c = 1; c <= Math.ceil((n - k) / keys); c++) expected.push(`k${k} ${c}`);
    expected.sort();
    await kafka.createTopic('rep-in', partitions, 3);
    await kafka.createTopic('rep-out', 2, 3);
    const base = join(dir.path, 'eo');
    mkdirSync(base, { recursive: true });
    const stateDir = join(base, 'state');
    const positions = async () => {
      const store = await CheckpointStore.open(stateDir, { readOnly: true }).catch(() => undefined);
      const list = store ? (await store.list()).filter((c) => c.kind === 'checkpoint' && c.status === 'complete') : [];
      if (list.length === 0) return 0;
      const last: CheckpointMetadata = (await store!.resolve(list.sort((a, b) => a.id! - b.id!).at(-1)!.id!)).metadata;
      return last.sourcePositions.filter((s) => s.operatorUid.includes('kafka-in')).reduce((a, s) => a + (s.position as number), 0);
    };
    await produce(kafka.bootstrap, 'rep-in', input(0, n / 2), 100);
    const handle = await run(jobUrl('kafka-eo-counts'), {
      parallelism: 2,
      checkpointIntervalMs: 100,
      restartStrategy: { kind: 'fixed-delay', attempts: 20, delayMs: 500 },
      workDir: join(base, 'job'),
      stateDir,
      params: { brokers: kafka.bootstrap.join(','), in: 'rep-in', out: 'rep-out', partitions: String(partitions), groupId: 'rep', markers: base, offsets: 'transaction' },
    });
    let killed: number;
    try {
      await until('a checkpoint of the first half', async () => (await positions()) === n / 2);
      killed = (await leaders(kafka.bootstrap, 'rep-in'))[0];
      await kafka.nodes.find((node) => node.nodeId === killed)!.kill();
      const survivors = kafka.nodes.filter((node) => node.nodeId !== killed).flatMap((node) => node.bootstrap);
      await until('every input partition led by a surviving broker', async () => (await leaders(survivors, 'rep-in')).every((l) => l >= 0 && l !== killed));
      await produce(survivors, 'rep-in', input(n / 2, n), 100);
      await until('a checkpoint of the whole input', async () => (await positions()) === n);
    } finally {
      await handle.stop().catch(() => {});
    }
    await handle.done.catch(() => {});
    const survivors = kafka.nodes.filter((node) => node.nodeId !== killed!).flatMap((node) => node.bootstrap);
    const seen = (await readCommitted<CountOut>(survivors, 'rep-out', 2, expected.length)).map((r) => `${r.k} ${r.n}`).sort();
    expect(seen).toEqual(expected);
  });
});
