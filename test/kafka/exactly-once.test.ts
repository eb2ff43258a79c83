// Exactly-once end to end, on the run's real Kafka broker: a weir job with checkpoints — Kafka →
// keyBy → running count per key → kafkaSink({ guarantee: 'exactly-once' }) — that fails and
// restarts several times, or is SIGKILLed and run again on its state dir, and a read_committed
// consumer of the output, which must see every expected count exactly once and nothing of the
// aborted transactions. Also: the consumer group's committed offsets are always a completed
// checkpoint's source positions, whether the source commits them after the checkpoint
// (commitPosition) or the sink inside its transactions (offsetsInTransaction).
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/checkpoint-store.ts';
import type { CheckpointMetadata } from '../../src/checkpoint/metadata.ts';
import { run, type RunOptions } from '../../src/runtime/index.ts';
import type { CountOut } from '../jobs/kafka-eo-counts.ts';
import { jobUrl, tempDir } from '../helpers.ts';
import { sharedKafka, uniqueTopic, type SharedKafka } from './shared-broker.ts';
import { groupOffsets, produce, readCommitted, recordsIn, sleep, until } from './util.ts';

let kafka: SharedKafka;
const dir = tempDir('weir-kafka-eo-');
beforeAll(async () => {
  kafka = await sharedKafka();
});
afterAll(() => dir.remove());

const keys = 41;
const partitions = 4;
const input = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, j) => {
    const i = from + j;
    return { key: `k${i % keys}`, value: JSON.stringify({ k: `k${i % keys}`, i }) };
  });
/** What a failure-free run writes for n input records: key k's counts 1 … its number of records. */
const expectedCounts = (n: number) => {
  const expected: string[] = [];
  for (let k = 0; k < keys; k++) for (let c = 1; c <= Math.ceil((n - k) / keys); c++) expected.push(`k${k} ${c}`);
  return expected.sort();
};
const text = (r: CountOut) => `${r.k} ${r.n}`;

async function checkpoints(stateDir: string): Promise<CheckpointMetadata[]> {
  const store = await CheckpointStore.open(stateDir, { readOnly: true }).catch(() => undefined);
  if (!store) return [];
  const all: CheckpointMetadata[] = [];
  for (const c of await store.list()) if (c.kind === 'checkpoint' && c.status === 'complete') all.push((await store.resolve(c.id!)).metadata);
  return all.sort((a, b) => a.id - b.id);
}

const positionsOf = (m: CheckpointMetadata) =>
  Array.from({ length: partitions }, (_, p) => m.sourcePositions.find((s) => s.operatorUid.includes('kafka-in') && s.partition === p)?.position as number | undefined);
const sum = (xs: Array<number | undefined>) => xs.reduce<number>((a, b) => a + (b ?? 0), 0);

/** A fresh pair of topics and dirs for one run of kafka-eo-counts. */
async function setUp(name: string) {
  const [topicIn, topicOut] = [uniqueTopic(`eo-in-${name}`), uniqueTopic(`eo-out-${name}`)];
  await kafka.createTopic(topicIn, partitions);
  await kafka.createTopic(topicOut, 2);
  const base = join(dir.path, name);
  mkdirSync(base, { recursive: true });
  return { topicIn, topicOut, groupId: uniqueTopic(`weir-eo-${name}`), base, workDir: join(base, 'job'), stateDir: join(base, 'state') };
}

const variants = [
  { offsets: 'source', title: 'group offsets committed by the source after each checkpoint (commitPosition)' },
  { offsets: 'transaction', title: "group offsets committed inside the sink's transactions (offsetsInTransaction)" },
] as const;

describe.each(variants)('Kafka exactly-once, end to end, read_committed: $title', ({ offsets }) => {
  it('a job failing several times restarts from its checkpoints: a read_committed consumer sees every expected count exactly once, and the group offsets are always a completed checkpoint\'s positions', async () => {
    const n = 2400;
    const t = await setUp(`fails-${offsets}`);
    await produce(kafka.bootstrap, t.topicIn, input(0, n / 2), 100);
    const handle = await run(jobUrl('kafka-eo-counts'), {
      parallelism: 2,
      checkpointIntervalMs: 100,
      checkpointsRetained: 1000,
      restartStrategy: { kind: 'fixed-delay', attempts: 5, delayMs: 50 },
      workDir: t.workDir,
      stateDir: t.stateDir,
      params: { brokers: kafka.bootstrap.join(','), in: t.topicIn, out: t.topicOut, partitions: String(partitions), groupId: t.groupId, markers: t.base, failAt: [n * 0.6, n * 0.75, n * 0.9].join(','), offsets },
    });
    // The group's offsets, sampled while the job runs: each sample must be the positions of a
    // checkpoint that had completed (never ahead of the output, never of a cut that was not taken).
    const samples: string[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples.push(JSON.stringify(await groupOffsets(kafka.bootstrap, t.groupId, t.topicIn)));
        await sleep(100);
      }
    })();
    try {
      await until('a checkpoint of the first half', async () => sum(positionsOf((await checkpoints(t.stateDir)).at(-1) ?? ({ sourcePositions: [] } as never))) === n / 2);
      await produce(kafka.bootstrap, t.topicIn, input(n / 2, n), 100);
      // Both workers may meet their failure record before the job stops, so 2 or 3 restarts.
      await until('a checkpoint of the whole input', async () => sum(positionsOf((await checkpoints(t.stateDir)).at(-1)!)) === n);
      await until('the group offsets of the whole input', async () => sum(await groupOffsets(kafka.bootstrap, t.groupId, t.topicIn)) === n);
    } finally {
      sampling = false;
      await sampler;
      await handle.stop().catch(() => {});
    }
    const result = await handle.done;
    expect(result.metrics.restarts!.length).toBeGreaterThanOrEqual(2);
    for (const r of result.metrics.restarts!) expect(r.cause).toMatch(/injected failure/);
    const all = await checkpoints(t.stateDir);
    // Per partition: workers (and, with offsetsInTransaction, their sink subtasks' transactions)
    // commit their own partitions, so a sample may mix two consecutive checkpoints across partitions.
    const positions = Array.from({ length: partitions }, (_, p) => new Set([-1, ...all.map((c) => positionsOf(c)[p] ?? -1)]));
    const unknown = samples.filter((sample) => (JSON.parse(sample) as number[]).some((o, p) => !positions[p].has(o) && !(o === 0 && positions[p].has(-1))));
    expect(unknown).toEqual([]);
    expect(samples.length).toBeGreaterThan(3);
    expect(await groupOffsets(kafka.bootstrap, t.groupId, t.topicIn)).toEqual(positionsOf(all.at(-1)!));

    // read_committed: each count once, nothing of the failed attempts' aborted transactions.
    const seen = (await readCommitted<CountOut>(kafka.bootstrap, t.topicOut, 2, expectedCounts(n).length)).map(text).sort();
    expect(seen).toEqual(expectedCounts(n));
  });
});

describe('Kafka exactly-once, end to end, read_committed: a killed process', () => {
  it('a job SIGKILLed mid-stream and run again on its state dir: a read_committed consumer sees every expected count exactly once', async () => {
    const n = 2400;
    const t = await setUp('sigkill');
    const options: RunOptions = {
      parallelism: 2,
      checkpointIntervalMs: 100,
      checkpointsRetained: 1000,
      workDir: t.workDir,
      stateDir: t.stateDir,
      params: { brokers: kafka.bootstrap.join(','), in: t.topicIn, out: t.topicOut, partitions: String(partitions), groupId: t.groupId, markers: t.base, offsets: 'transaction' },
    };
    await produce(kafka.bootstrap, t.topicIn, input(0, n / 2), 100);
    const child = spawn(process.execPath, [fileURLToPath(new URL('../../bin/run-ts.mjs', import.meta.url)), fileURLToPath(new URL('./job-process.ts', import.meta.url)), 'kafka-eo-counts', JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    try {
      // Killed mid-stream: after a checkpoint of part of the input, while it goes on reading.
      await until('a checkpoint of some input', async () => sum(positionsOf((await checkpoints(t.stateDir)).at(-1) ?? ({ sourcePositions: [] } as never))) > 0 || child.exitCode !== null);
      expect(child.exitCode, stderr).toBeNull();
      await produce(kafka.bootstrap, t.topicIn, input(n / 2, (n * 3) / 4), 100);
    } finally {
      child.kill('SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');
    const atKill = sum(positionsOf((await checkpoints(t.stateDir)).at(-1)!));
    expect(atKill).toBeLessThan(n);
    await produce(kafka.bootstrap, t.topicIn, input((n * 3) / 4, n), 100);
    const handle = await run(jobUrl('kafka-eo-counts'), options);
    expect(handle.restoredFrom).toBeDefined(); // resumed from the killed run's last checkpoint
    try {
      await until('a checkpoint of the whole input', async () => sum(positionsOf((await checkpoints(t.stateDir)).at(-1)!)) === n);
      await until('the output of the whole input', () => recordsIn(handle, 'kafka-out') > 0);
    } finally {
      await handle.stop();
    }
    const seen = (await readCommitted<CountOut>(kafka.bootstrap, t.topicOut, 2, expectedCounts(n).length)).map(text).sort();
    expect(seen).toEqual(expectedCounts(n));
    expect(await groupOffsets(kafka.bootstrap, t.groupId, t.topicIn)).toEqual(positionsOf((await checkpoints(t.stateDir)).at(-1)!));
  });
});

describe('Kafka exactly-once without checkpoints', () => {
  it('a stopped job commits what its sink accepted, once, in one last transaction', async () => {
    const n = 400;
    const t = await setUp('no-checkpoints');
    await produce(kafka.bootstrap, t.topicIn, input(0, n), 100);
    const handle = await run(jobUrl('kafka-eo-counts'), {
      parallelism: 2,
      workDir: t.workDir,
      params: { brokers: kafka.bootstrap.join(','), in: t.topicIn, out: t.topicOut, partitions: String(partitions), groupId: t.groupId, markers: t.base, offsets: 'source' },
    });
    const sinkRecords = () => handle.metrics().operators.filter((o) => o.kind === 'sink').reduce((a, o) => a + o.recordsIn, 0);
    try {
      await until('the sink got every count', () => sinkRecords() >= n);
    } finally {
      await handle.stop();
    }
    await handle.done;
    const seen = (await readCommitted<CountOut>(kafka.bootstrap, t.topicOut, 2, expectedCounts(n).length)).map(text).sort();
    expect(seen).toEqual(expectedCounts(n));
  });
});
