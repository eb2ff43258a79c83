// The Kafka sink's visibility latency, exactly-once against at-least-once (native-bench/kafka.ts):
// a weir job (generator at a fixed rate → kafkaSink, one worker) writes each record with its
// creation time (the generator's scheduled time, so a stall shows as latency instead of slowing the
// load) in the weir-created-ms header; one plain kafkajs consumer with isolation read_committed,
// subscribed before the job starts, takes the time each record reaches it. Latency = reached the
// consumer − created, in an HDR histogram of microseconds; records created in the warm-up are not
// counted. The exactly-once sink's records become visible to read_committed only when the
// checkpoint that covers them commits its transaction, so its latency is about the checkpoint
// interval; the at-least-once sink's records are visible once its flush (every sinkFlushIntervalMs
// while idle) is acknowledged. The consumer is the same for both.
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createdHeader } from '../src/connectors/kafka/reader.ts';
import { run } from '../src/runtime/index.ts';
import { newLatencyHistogram } from '../src/runtime/instrumentation/latency-recorder.ts';
import { nowMs } from '../src/util/clock.ts';
import type { KafkaBroker } from '../test/kafka/real-broker.ts';

const job = new URL('./kafka-job.ts', import.meta.url);

/** How long, after the job is done, the consumer may take to see the rest of what it wrote. */
const drainTimeoutMs = 60_000;

/**
 * Each record's creation (its weir-created-ms header), append (its broker timestamp) and arrival at
 * a consumer, recorded as they come; judged at the end, so that a warm-up counts from the first
 * record's creation (the generator's start), which the consumer may not see first.
 */
export interface Arrivals {
  createdMs: Float64Array;
  appendedMs: Float64Array;
  reachedMs: Float64Array;
  seen(): number;
  /** Resolves once `count` records have arrived. */
  all: Promise<void>;
}

/** Subscribes a connected `consumer` to `topic` from its start and records the first `count` arrivals; resolves once it has joined its group. */
export async function recordArrivals(consumer: Consumer, topic: string, count: number): Promise<Arrivals> {
  const createdMs = new Float64Array(count);
  const appendedMs = new Float64Array(count);
  const reachedMs = new Float64Array(count);
  let seen = 0;
  let allSeen!: () => void;
  const all = new Promise<void>((resolve) => (allSeen = resolve));
  await consumer.subscribe({ topic, fromBeginning: true });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = nowMs();
      for (const m of batch.messages) {
        const header = m.headers?.[createdHeader];
        if (header === undefined) throw new Error(`record at ${batch.partition}:${m.offset} has no ${createdHeader} header`);
        if (seen === count) throw new Error(`the consumer saw more than the ${count} records written (${topic})`);
        createdMs[seen] = Number(String(header));
        appendedMs[seen] = Number(m.timestamp);
        reachedMs[seen++] = now;
      }
      if (seen === count) allSeen();
    },
  });
  await joined;
  return { createdMs, appendedMs, reachedMs, seen: () => seen, all };
}

/** Waits for every arrival; fails naming what arrived when the records written do not all arrive in time. */
export async function allArrived(arrivals: Arrivals, count: number, topic: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${topic}: the consumer saw ${arrivals.seen()} of the ${count} records written within ${drainTimeoutMs} ms after the job ended`)), drainTimeoutMs);
  });
  try {
    await Promise.race([arrivals.all, late]);
  } finally {
    clearTimeout(timer);
  }
}

export interface VisibilityLatencyOptions {
  /** The generator's fixed rate (records/s). */
  ratePerSec: number;
  /** Seconds measured, after the warm-up. */
  seconds: number;
  /** Seconds of records not counted (the producer's start, the first transactions). */
  warmupSeconds: number;
  /** The exactly-once run's checkpoint interval. */
  checkpointMs: number;
  /** How long the consumer's fetch waits at the broker for records (kafkajs maxWaitTimeInMs). */
  consumerFetchWaitMs: number;
}

export interface LatencyPercentiles {
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** Records measured (created after the warm-up). */
  measured: number;
}

export const visibilityLatencyDefaults: VisibilityLatencyOptions = { ratePerSec: 5_000, seconds: 10, warmupSeconds: 3, checkpointMs: 1_000, consumerFetchWaitMs: 100 };

/** Runs the job once into a fresh topic and returns the creation → visible-to-read_committed latency. */
export async function visibilityLatency(
  broker: KafkaBroker,
  topic: string,
  guarantee: 'at-least-once' | 'exactly-once',
  o: VisibilityLatencyOptions = visibilityLatencyDefaults,
): Promise<LatencyPercentiles> {
  await broker.createTopic(topic, 2);
  const count = Math.round(o.ratePerSec * (o.warmupSeconds + o.seconds));
  const kafka = new Kafka({ brokers: broker.bootstrap, logLevel: logLevel.NOTHING, clientId: 'bench-latency' });
  const consumer = kafka.consumer({ groupId: `bench-latency-${topic}`, readUncommitted: false, maxWaitTimeInMs: o.consumerFetchWaitMs });
  const stateDir = guarantee === 'exactly-once' ? mkdtempSync(join(tmpdir(), 'weir-bench-kafka-latency-')) : undefined;
  try {
    await consumer.connect();
    const arrivals = await recordArrivals(consumer, topic, count);
    const handle = await run(job, {
      parallelism: 1,
      checkpointIntervalMs: stateDir !== undefined ? o.checkpointMs : undefined,
      stateDir,
      params: { brokers: broker.bootstrap.join(','), topic, count: String(count), mode: 'sink', guarantee, ratePerSec: String(o.ratePerSec) },
    });
    await handle.done;
    await allArrived(arrivals, count, topic);
    return percentiles(arrivals.createdMs, arrivals.reachedMs, arrivals.createdMs, o.warmupSeconds * 1000);
  } finally {
    await consumer.disconnect().catch(() => {});
    if (stateDir !== undefined) rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Percentiles of end − start per record, over the records created `warmupMs` after the first one. */
export function percentiles(startMs: Float64Array, endMs: Float64Array, createdMs: Float64Array, warmupMs: number): LatencyPercentiles {
  const measureFromMs = createdMs.reduce((a, b) => Math.min(a, b), Infinity) + warmupMs;
  const histogram = newLatencyHistogram();
  try {
    for (let i = 0; i < createdMs.length; i++) {
      if (createdMs[i] >= measureFromMs) histogram.recordValue(Math.max(1, Math.round((endMs[i] - startMs[i]) * 1000)));
    }
    const ms = (p: number) => histogram.getValueAtPercentile(p) / 1000;
    return { p50Ms: ms(50), p99Ms: ms(99), p999Ms: ms(99.9), maxMs: histogram.maxValue / 1000, measured: histogram.totalCount };
  } finally {
    histogram.destroy();
  }
}

export function formatLatencyComparison(o: VisibilityLatencyOptions, atLeastOnce: LatencyPercentiles, exactlyOnce: LatencyPercentiles): string {
  const f = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en') : x.toFixed(1));
  const row = (name: string, l: LatencyPercentiles) => `| ${name} | ${f(l.p50Ms)} | ${f(l.p99Ms)} | ${f(l.p999Ms)} | ${f(l.maxMs)} | ${l.measured.toLocaleString('en')} |`;
  return [
    `| created → visible to read_committed (ms), ${o.ratePerSec.toLocaleString('en')} records/s for ${o.seconds} s | p50 | p99 | p99.9 | max | records |`,
    '|---|---:|---:|---:|---:|---:|',
    row('at-least-once sink', atLeastOnce),
    row(`exactly-once sink, a checkpoint every ${o.checkpointMs} ms`, exactlyOnce),
    `| exactly-once − at-least-once | ${f(exactlyOnce.p50Ms - atLeastOnce.p50Ms)} | ${f(exactlyOnce.p99Ms - atLeastOnce.p99Ms)} | ${f(exactlyOnce.p999Ms - atLeastOnce.p999Ms)} | | |`,
  ].join('\n');
}

/** Median of each percentile over runs (each figure on its own). */
export function medianLatency(runs: LatencyPercentiles[]): LatencyPercentiles {
  const med = (k: keyof LatencyPercentiles) => [...runs.map((r) => r[k])].sort((a, b) => a - b)[Math.floor(runs.length / 2)];
  return { p50Ms: med('p50Ms'), p99Ms: med('p99Ms'), p999Ms: med('p999Ms'), maxMs: med('maxMs'), measured: med('measured') };
}
