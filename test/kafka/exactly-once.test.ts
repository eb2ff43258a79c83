// Exactly-once end to end: a real weir job with checkpoints — Kafka → keyBy → running count per
// key → kafkaSink({ guarantee: 'exactly-once' }) — fails once mid-stream, restarts from its last
// checkpoint, and the output topic is checked against the counts a failure-free run must give.
// Also: once a checkpoint completes, the consumer group's committed offsets are the checkpoint's
// source positions (the runtime drives commitPosition), so lag tooling sees the job's progress.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/checkpoint-store.ts';
import type { CheckpointMetadata } from '../../src/checkpoint/metadata.ts';
import { run } from '../../src/runtime/index.ts';
import type { CountOut } from '../jobs/kafka-eo-counts.ts';
import { jobUrl, tempDir } from '../helpers.ts';
import { startMockKafka, type MockKafka } from './mock-broker.ts';
import { client, groupOffsets, produce, readTopicToEnd, recordsIn, until } from './util.ts';

let kafka: MockKafka;
const dir = tempDir('weir-kafka-eo-');
beforeAll(async () => {
  kafka = await startMockKafka({ brokers: 1 });
});
afterAll(async () => {
  await kafka?.stop();
  dir.remove();
});

const keys = 41;
const input = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, j) => {
    const i = from + j;
    return { key: `k${i % keys}`, value: JSON.stringify({ k: `k${i % keys}`, i }) };
  });


async function checkpoints(stateDir: string): Promise<CheckpointMetadata[]> {
  const store = await CheckpointStore.open(stateDir, { readOnly: true });
  const all: CheckpointMetadata[] = [];
  for (const c of await store.list()) if (c.kind === 'checkpoint' && c.status === 'complete') all.push((await store.resolve(c.id!)).metadata);
  return all.sort((a, b) => a.id - b.id);
}

const positionsOf = (m: CheckpointMetadata, partitions: number) =>
  Array.from({ length: partitions }, (_, p) => m.sourcePositions.find((s) => s.operatorUid.includes('kafka-in') && s.partition === p)?.position);

const variants = [
  { offsets: 'source', title: 'group offsets committed by the source after each checkpoint (commitPosition)' },
  {
    offsets: 'transaction',
    title:
      "group offsets committed inside the sink's transactions (offsetsInTransaction; the mock cannot show the group's offsets then: its TxnOffsetCommit accepts them and drops them)",
  },
] as const;

describe.each(variants)('Kafka exactly-once, end to end: $title', ({ offsets }) => {
  it(
    'a job failing once restarts from its checkpoint: every count is in the output, and the records of committed transactions are exactly the expected counts ' +
      '(the mock writes no commit/abort markers and filters no read_committed fetch, so which records Kafka would show a read_committed reader cannot be read ' +
      "from the broker: it is derived from the restored checkpoint's cut)",
    async () => {
      const partitions = 4;
      const n = 2400;
      const groupId = `weir-eo-counts-${offsets}`;
      const [topicIn, topicOut] = [`eo-in-${offsets}`, `eo-out-${offsets}`];
      await kafka.createTopic(topicIn, partitions);
      await kafka.createTopic(topicOut, 2);
      const base = join(dir.path, offsets);
      const workDir = join(base, 'job');
      const stateDir = join(base, 'state');
      mkdirSync(base, { recursive: true });
      await produce(kafka.bootstrap, topicIn, input(0, n / 2), 100);
      const handle = await run(jobUrl('kafka-eo-counts'), {
        parallelism: 2,
        checkpointIntervalMs: 100,
        checkpointsRetained: 1000,
        restartStrategy: { kind: 'fixed-delay', attempts: 3, delayMs: 50 },
        workDir,
        stateDir,
        params: { brokers: kafka.bootstrap.join(','), in: topicIn, out: topicOut, partitions: String(partitions), groupId, markers: base, failAt: String(n * 0.75), offsets },
      });
      try {
        // Phase 1: the first half is read, a checkpoint holding it completes, and its positions reach the group.
        const admin = client(kafka.bootstrap).admin();
        await admin.connect();
        const ends = (await admin.fetchTopicOffsets(topicIn)).sort((a, b) => a.partition - b.partition).map((p) => Number(p.high));
        await admin.disconnect();
        if (offsets === 'source') {
          await until('the group offsets of the first half', async () => (await groupOffsets(kafka.bootstrap, groupId, topicIn)).every((o, p) => o === ends[p]));
          expect(positionsOf((await checkpoints(stateDir)).at(-1)!, partitions)).toEqual(ends);
        } else {
          await until('a checkpoint of the first half', async () => JSON.stringify(positionsOf((await checkpoints(stateDir)).at(-1) ?? { sourcePositions: [] } as never, partitions)) === JSON.stringify(ends));
        }
        expect(ends.every((e) => e > 0)).toBe(true);
        await until('the first half in the sink', () => recordsIn(handle, 'kafka-out') === n / 2);

        // Phase 2: the second half holds the record that fails once.
        await produce(kafka.bootstrap, topicIn, input(n / 2, n), 100);
        await until('the restart', () => (handle.metrics().restarts ?? []).length === 1);
        await until('a checkpoint of the whole input', async () => (positionsOf((await checkpoints(stateDir)).at(-1)!, partitions) as number[]).reduce((a, b) => a + b, 0) === n);
      } finally {
        await handle.stop().catch(() => {});
      }
      const result = await handle.done;
      const [restart] = result.metrics.restarts!;
      expect(restart.cause).toMatch(/injected failure/);
      const all = await checkpoints(stateDir);
      const restored = all.find((c) => c.id === restart.restoredFromId)!;
      expect(restored).toBeDefined();
      // After the final checkpoint: the group's offsets are its positions, the end of the input.
      const final = all.at(-1)!;
      if (offsets === 'source') expect(await groupOffsets(kafka.bootstrap, groupId, topicIn)).toEqual(positionsOf(final, partitions));
      expect((positionsOf(final, partitions) as number[]).reduce((a, b) => a + b, 0)).toBe(n);

      const expected: string[] = [];
      for (let k = 0; k < keys; k++) for (let c = 1; c <= Math.ceil((n - k) / keys); c++) expected.push(`k${k} ${c}`);
      expected.sort();
      const out = await readTopicToEnd<CountOut>(kafka.bootstrap, topicOut, 2);
      const text = (r: CountOut) => `${r.k} ${r.n}`;
      // Nothing lost: every count is there (read_uncommitted sees aborted records too).
      expect([...new Set(out.map((r) => text(r.value)))].sort()).toEqual([...new Set(expected)]);
      // Committed: what the restarted attempt wrote (all of it committed by the final checkpoint),
      // and what the failed attempt wrote from input before the restored checkpoint's positions.
      // The rest — the failed attempt's records after the cut — was in transactions no completed
      // checkpoint noted: aborted (or, on a real broker, aborted by InitProducerId at recovery).
      const cut = positionsOf(restored, partitions) as number[];
      const committed = out.filter((r) => r.value.a === 2 || r.value.o < cut[r.value.p]);
      expect(committed.map((r) => text(r.value)).sort()).toEqual(expected);
      // Producer ids: every record the restarted attempt wrote is in a transaction that a checkpoint after the restart noted.
      const notedAfter = new Set(all.filter((c) => c.id > restored.id).flatMap((c) => c.sinkNotes.map((s) => (s.note as { producerId?: string } | null)?.producerId)));
      for (const r of out.filter((x) => x.value.a === 2)) expect(notedAfter.has(r.producerId)).toBe(true);
    },
  );
});
