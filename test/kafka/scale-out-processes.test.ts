// Scale-out across processes (real broker): three processes, each a runScaledOut() member, split a
// 6-partition topic; one is SIGKILLed — no final checkpoint, no leaving the group — and once the
// group's session timeout passes the other two take over its partitions from its newest complete
// checkpoint. Counts are at-least-once: each key's counts run 1…total with none missing, as one
// process would count them. The time from the kill to both survivors running on the new
// assignment (the rebalance) is printed; it is bounded below by the session timeout.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScaleOutOptions } from '../../src/scale-out/scale-out.ts';
import { kafkaPartitionForKey } from '../../src/util/murmur2.ts';
import { tempDir } from '../helpers.ts';
import { sharedKafka, uniqueTopic, type SharedKafka } from './shared-broker.ts';
import { groupOffsets, produce, readTopicToEnd, until } from './util.ts';

let kafka: SharedKafka;
const dir = tempDir('weir-kafka-scale-processes-');
const members: ChildProcess[] = [];
beforeAll(async () => {
  kafka = await sharedKafka();
});
afterAll(() => {
  for (const child of members) if (child.exitCode === null) child.kill('SIGKILL');
  dir.remove();
});

const partitions = 6;
const keys = 60;
const sessionTimeoutMs = 3_000;
const input = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, j) => ({ key: `k${(from + j) % keys}`, value: JSON.stringify({ k: `k${(from + j) % keys}`, i: from + j }) }));

type Line = { assigned?: number[]; running?: number[]; generationId?: number; atMs?: number; stopped?: boolean };

/** A member process and what it has said (test/kafka/scaled-process.ts). */
function startMember(name: string, options: Omit<ScaleOutOptions, 'onAssignment'>) {
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL('../../bin/run-ts.mjs', import.meta.url)), fileURLToPath(new URL('./scaled-process.ts', import.meta.url)), 'kafka-scaled-counts', JSON.stringify(options)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  members.push(child);
  const lines: Array<Line & { seenAtMs: number }> = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (l) => {
    if (l.startsWith('{')) lines.push({ ...(JSON.parse(l) as Line), seenAtMs: Date.now() });
  });
  /** The newest generation this member runs the job in, and on which partitions. */
  const running = () => lines.filter((l) => l.running !== undefined).at(-1);
  return { name, child, lines, running, stderr: () => stderr };
}

describe('scale-out over a Kafka consumer group across processes (real broker)', () => {
  it('three processes split a 6-partition topic; one is SIGKILLed and the other two take over its partitions and state after the session timeout; every count arrives', async () => {
    const [topicIn, topicOut, groupId] = [uniqueTopic('sop-in'), uniqueTopic('sop-out'), uniqueTopic('weir-sop')];
    const [n1, n2] = [1_800, 1_200];
    await kafka.createTopic(topicIn, partitions);
    await kafka.createTopic(topicOut, 2);
    await produce(kafka.bootstrap, topicIn, input(0, n1), 300);
    const options = (name: string): Omit<ScaleOutOptions, 'onAssignment'> => ({
      kafka: { brokers: kafka.bootstrap, topic: topicIn, groupId, sessionTimeoutMs, heartbeatIntervalMs: 300, logLevel: 'nothing' },
      source: 'kafka-in',
      stateDir: join(dir.path, 'shared-state'),
      workDir: join(dir.path, name),
      parallelism: 1,
      checkpointIntervalMs: 100,
      params: { brokers: kafka.bootstrap.join(','), in: topicIn, out: topicOut, partitions: String(partitions) },
    });
    const [a, b, c] = ['a', 'b', 'c'].map((name) => startMember(name, options(name)));
    const diagnose = () => [a, b, c].map((m) => `${m.name}: ${JSON.stringify(m.lines)} ${m.stderr().slice(-2_000)}`).join('\n');
    try {
      // One generation with all three, two partitions each (a coordinator may first hand
      // everything to whoever joined first: wait for a generation all three run in).
      const together = (ms: typeof a[]) => {
        const runs = ms.map((m) => m.running());
        if (runs.some((r) => r === undefined) || new Set(runs.map((r) => r!.generationId)).size !== 1) return false;
        return runs.flatMap((r) => r!.running!).sort((x, y) => x - y).join() === Array.from({ length: partitions }, (_, i) => i).join();
      };
      await until(`all three members in one generation\n${diagnose()}`, () => together([a, b, c]));
      for (const m of [a, b, c]) expect(m.running()!.running).toHaveLength(2);
      const first = a.running()!.generationId!;
      await until('the first input in the group offsets', async () => (await groupOffsets(kafka.bootstrap, groupId, topicIn)).reduce((x, y) => x + y, 0) === n1);

      const killedAtMs = Date.now();
      c.child.kill('SIGKILL');
      await once(c.child, 'exit');
      await until(`the survivors take every partition\n${diagnose()}`, () => together([a, b]) && a.running()!.generationId! > first);
      const rebalanceMs = Math.max(a.running()!.seenAtMs, b.running()!.seenAtMs) - killedAtMs;
      console.log(`scale-out: a SIGKILLed member's partitions ran again on the survivors ${rebalanceMs} ms after the kill (session timeout ${sessionTimeoutMs} ms)`);
      // Nobody can notice a silent member before its session times out.
      expect(rebalanceMs).toBeGreaterThanOrEqual(sessionTimeoutMs - 1_000);

      await produce(kafka.bootstrap, topicIn, input(n1, n1 + n2), 300);
      await until('the whole input in the group offsets', async () => (await groupOffsets(kafka.bootstrap, groupId, topicIn)).reduce((x, y) => x + y, 0) === n1 + n2);
      for (const m of [a, b]) m.child.kill('SIGTERM');
      await Promise.all([a, b].map((m) => (m.child.exitCode === null ? once(m.child, 'exit') : undefined)));
      for (const m of [a, b]) expect(m.child.exitCode, `${m.name} stopped cleanly\n${m.stderr()}`).toBe(0);
    } finally {
      for (const m of [a, b, c]) if (m.child.exitCode === null) m.child.kill('SIGKILL');
    }

    // At-least-once output: counts may repeat (what the killed member did after its last
    // checkpoint is done again), none may be missing, and each key's last count is its total.
    const total = new Map<string, number>();
    for (const r of input(0, n1 + n2)) total.set(r.key, (total.get(r.key) ?? 0) + 1);
    const out = await readTopicToEnd<{ k: string; n: number; p: number }>(kafka.bootstrap, topicOut, 2);
    const counts = new Map<string, Set<number>>();
    for (const { value } of out) {
      expect(value.p).toBe(kafkaPartitionForKey(value.k, partitions));
      if (!counts.has(value.k)) counts.set(value.k, new Set());
      counts.get(value.k)!.add(value.n);
    }
    expect(counts.size).toBe(keys);
    for (const [k, n] of total) expect([...counts.get(k)!].sort((x, y) => x - y), `key ${k}`).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  });
});
