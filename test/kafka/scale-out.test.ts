// Scale-out: two runScaledOut() runners (in this process; they would be on two hosts) join one
// consumer group, split a 4-partition topic, and together count what one process would; then one
// stops, the other takes over its partitions with their state — the counts go on, not from zero.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroupAssignment } from '../../src/connectors/kafka/group-member.ts';
import { rangeAssignment } from '../../src/connectors/kafka/group-member.ts';
import { kafkaPartitionForKey } from '../../src/util/murmur2.ts';
import { keyGroupOf } from '../../src/runtime/keys.ts';
import { runScaledOut, type ScaleOutOptions } from '../../src/scale-out/scale-out.ts';
import { expectWeirError, jobUrl, tempDir } from '../helpers.ts';
import { sharedKafka, uniqueTopic, type SharedKafka } from './shared-broker.ts';
import { groupOffsets, produce, readTopicToEnd, until } from './util.ts';

let kafka: SharedKafka;
const dir = tempDir('weir-kafka-scale-');
beforeAll(async () => {
  kafka = await sharedKafka();
});
afterAll(() => dir.remove());
const [soRefuse, soIn, soOut] = [uniqueTopic('so-refuse'), uniqueTopic('so-in'), uniqueTopic('so-out')];

const keys = 40;
const input = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, j) => ({ key: `k${(from + j) % keys}`, value: JSON.stringify({ k: `k${(from + j) % keys}`, i: from + j }) }));


describe('scale-out over a Kafka consumer group (real broker)', () => {
  it("keyGroupAssigner 'kafka': a key's group is its Kafka partition over as many groups as partitions; other key types are refused", () => {
    for (let i = 0; i < 500; i++) expect(keyGroupOf(`user-${i}`, 12, 'kafka')).toBe(kafkaPartitionForKey(`user-${i}`, 12));
    expect(keyGroupOf(Buffer.from('abc'), 7, 'kafka')).toBe(kafkaPartitionForKey('abc', 7));
    expect(() => keyGroupOf(42, 4, 'kafka')).toThrow(/Kafka record key/);
  });

  it('refuses a job without the named source, an exactly-once sink, or no checkpoints', async () => {
    const base = { kafka: { brokers: kafka.bootstrap, topic: soRefuse, groupId: 'g' }, stateDir: join(dir.path, 'refused'), checkpointIntervalMs: 100 };
    const params = { brokers: kafka.bootstrap.join(','), in: soRefuse, out: `${soRefuse}-out`, partitions: '1', markers: dir.path, groupId: 'x' };
    await kafka.createTopic(soRefuse, 1);
    await expectWeirError(runScaledOut(jobUrl('kafka-scaled-counts'), { ...base, source: 'nope', params }), 'WEIR_CONFIG', /no source named "nope"/);
    await expectWeirError(runScaledOut(jobUrl('kafka-eo-counts'), { ...base, source: 'kafka-in', params }), 'WEIR_CONFIG', /exactly-once/);
    await expectWeirError(runScaledOut(jobUrl('kafka-scaled-counts'), { ...base, checkpointIntervalMs: undefined, source: 'kafka-in', params }), 'WEIR_CONFIG', /checkpointIntervalMs/);
  });

  it('the range rule splits partitions into contiguous, disjoint, complete ranges', () => {
    for (const [p, m] of [[4, 2], [4, 3], [5, 2], [3, 5], [1, 1]]) {
      const all = Array.from({ length: m }, (_, i) => rangeAssignment(p, m, i));
      expect(all.flat()).toEqual(Array.from({ length: p }, (_, i) => i));
    }
  });

  it(
    'two runners split a 4-partition topic and count what one process would; when one stops, the other takes over its partitions and their state, and the counts go on',
    async () => {
      const [n1, n2] = [1600, 800];
      const groupId = uniqueTopic('weir-scaled');
      await kafka.createTopic(soIn, 4);
      await kafka.createTopic(soOut, 2);
      await produce(kafka.bootstrap, soIn, input(0, n1), 200);
      const stateDir = join(dir.path, 'shared-state');
      const seen: Record<'a' | 'b', GroupAssignment[]> = { a: [], b: [] };
      const options = (name: 'a' | 'b'): ScaleOutOptions => ({
        kafka: { brokers: kafka.bootstrap, topic: soIn, groupId, sessionTimeoutMs: 3_000, heartbeatIntervalMs: 200, logLevel: 'nothing' },
        source: 'kafka-in',
        stateDir,
        workDir: join(dir.path, name),
        parallelism: 2,
        checkpointIntervalMs: 100,
        params: { brokers: kafka.bootstrap.join(','), in: soIn, out: soOut, partitions: '4' },
        onAssignment: (a) => seen[name].push(a),
      });
      const a = await runScaledOut(jobUrl('kafka-scaled-counts'), options('a'));
      const b = await runScaledOut(jobUrl('kafka-scaled-counts'), options('b'));
      let runsB;
      let shared: { a: GroupAssignment; b: GroupAssignment };
      try {
        // One generation with both members, two partitions each. (A real coordinator may first
        // give every partition to the runner that joined first, alone, and rebalance when the
        // second joins: wait for a generation both are in.)
        await until('both in one generation', () => a.job() !== undefined && b.job() !== undefined && a.assignment()?.generationId === b.assignment()?.generationId);
        shared = { a: a.assignment()!, b: b.assignment()! };
        expect([...shared.a.partitions, ...shared.b.partitions].sort()).toEqual([0, 1, 2, 3]);
        expect(shared.a.partitions).toHaveLength(2);
        // The runners commit each completed checkpoint's positions as the group's offsets.
        await until('the first input in the group offsets', async () => (await groupOffsets(kafka.bootstrap, groupId, soIn)).reduce((x, y) => x + y, 0) === n1);

        runsB = await b.stop();
        await until('a takes every partition', () => a.assignment()?.partitions.length === 4 && a.assignment()!.generationId > shared.a.generationId && a.job() !== undefined);
        await produce(kafka.bootstrap, soIn, input(n1, n1 + n2), 200);
        await until('the whole input in the group offsets', async () => (await groupOffsets(kafka.bootstrap, groupId, soIn)).reduce((x, y) => x + y, 0) === n1 + n2);
      } finally {
        await Promise.allSettled([a.stop(), b.stop()]);
      }
      const runsA = await a.done;
      // The last generation both were in split the partitions between them. It is the one seen
      // above unless a member missed its heartbeats since (a busy machine) and the group
      // rebalanced again: then both runners ran once more, on a new split.
      const [lastOfB, lastSharedOfA] = [runsB.at(-1)!, runsA.at(-2)!];
      expect(lastOfB.assignment.generationId).toBe(lastSharedOfA.assignment.generationId);
      expect(lastOfB.assignment.generationId).toBeGreaterThanOrEqual(shared.b.generationId);
      expect([...lastOfB.assignment.partitions, ...lastSharedOfA.assignment.partitions].sort()).toEqual([0, 1, 2, 3]);
      expect(runsA.at(-1)!.assignment.partitions).toEqual([0, 1, 2, 3]);
      // The takeover restored each partition from the directory of its previous owner.
      const takeover = runsA.at(-1)!;
      for (const p of lastSharedOfA.assignment.partitions) expect(takeover.restoredFrom[p]).toBe(lastSharedOfA.dir);
      for (const p of lastOfB.assignment.partitions) expect(takeover.restoredFrom[p]).toBe(lastOfB.dir);

      // At-least-once output: counts may repeat, none may be missing, and each key's last count is its total.
      const total = new Map<string, number>();
      for (const r of input(0, n1 + n2)) total.set(r.key, (total.get(r.key) ?? 0) + 1);
      const out = await readTopicToEnd<{ k: string; n: number; p: number }>(kafka.bootstrap, soOut, 2);
      const counts = new Map<string, Set<number>>();
      for (const { value } of out) {
        expect(value.p).toBe(kafkaPartitionForKey(value.k, 4));
        if (!counts.has(value.k)) counts.set(value.k, new Set());
        counts.get(value.k)!.add(value.n);
      }
      expect(counts.size).toBe(keys);
      for (const [k, n] of total) expect([...counts.get(k)!].sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    },
  );
});
