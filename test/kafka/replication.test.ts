// A cluster of three real Kafka brokers, every topic replicated three times (min.insync.replicas
// 2): the broker leading the job's input partitions is SIGKILLed mid-run. Leadership moves to the
// other replicas, the job — exactly-once into Kafka — goes on (restarting from its checkpoint if a
// transaction is cut), and a read_committed consumer sees every expected count exactly once: no
// acknowledged record was lost with the broker.
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { tempDir } from '../helpers.ts';
import { exactlyOnceAcrossFailure, partitions } from './exactly-once-across-failure.ts';
import { startKafkaCluster, type KafkaCluster } from './real-broker.ts';
import { until } from './util.ts';

let kafka: KafkaCluster;
const dir = tempDir('weir-kafka-replication-');
beforeAll(async () => {
  kafka = await startKafkaCluster(3);
});
afterAll(async () => {
  await kafka?.destroy();
  dir.remove();
});

/** The node id leading each partition of `topic` ([-1] while the brokers cannot say: an election is on). */
async function leaders(bootstrap: string[], topic: string): Promise<number[]> {
  const admin = new Kafka({ brokers: bootstrap, logLevel: logLevel.NOTHING, clientId: 'weir-test-leaders' }).admin();
  try {
    await admin.connect();
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0].partitions.sort((a, b) => a.partitionId - b.partitionId).map((p) => p.leader);
  } catch {
    return [-1];
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

describe('a replicated topic on three real brokers, one of them killed', () => {
  it('exactly-once: the broker leading input partitions is SIGKILLed mid-run; leadership moves and a read_committed consumer sees every expected count exactly once', async () => {
    await kafka.createTopic('rep-in', partitions, 3);
    await kafka.createTopic('rep-out', 2, 3);
    let survivors = kafka.bootstrap;
    await exactlyOnceAcrossFailure({
      topics: { in: 'rep-in', out: 'rep-out' },
      dir: join(dir.path, 'eo'),
      bootstrap: kafka.bootstrap,
      fail: async () => {
        const killed = (await leaders(kafka.bootstrap, 'rep-in'))[0];
        await kafka.nodes.find((node) => node.nodeId === killed)!.kill();
        survivors = kafka.nodes.filter((node) => node.nodeId !== killed).flatMap((node) => node.bootstrap);
        for (const topic of ['rep-in', 'rep-out']) {
          await until(`every partition of ${topic} led by a surviving broker`, async () => (await leaders(survivors, topic)).every((l) => l >= 0 && l !== killed));
        }
      },
      bootstrapAfter: () => survivors,
    });
  });
});
