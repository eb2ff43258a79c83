// Kafka throughput against a real Apache Kafka broker (test/kafka/real-broker.ts: one node, KRaft,
// on loopback, started here and stopped at the end), in one run:
//  - consume: weir's Kafka source feeding a no-op sink (one worker per partition) vs a plain kafkajs
//    consumer (eachBatch, no work) on the same topic and broker: events/s from first to last record;
//  - produce: a weir job (generator → kafkaSink, one worker) vs a plain kafkajs producer sending
//    the same JSON values in batches of the sink's buffer size;
//  - exactly-once produce: the same weir job with the exactly-once sink and a checkpoint every
//    `exactlyOnceCheckpointMs` (its output becomes visible at each), against its at-least-once run.
//    Its figure counts to the final checkpoint, when the last record is visible to read_committed;
//  - visibility latency (kafka-latency.ts): the same job at a fixed rate, exactly-once against
//    at-least-once, from each record's creation to its arrival at a read_committed consumer.
// Run: npm run bench:kafka -- [records] [runs] [latency]   (node bin/run-ts.mjs native-bench/kafka.ts …;
// `latency` runs only the latency comparison, `runs` times)
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { limits } from '../src/limits.ts';
import { run } from '../src/runtime/index.ts';
import { startKafkaBroker, type KafkaBroker } from '../test/kafka/real-broker.ts';
import { formatLatencyComparison, medianLatency, visibilityLatency, visibilityLatencyDefaults, type LatencyPercentiles } from './kafka-latency.ts';

const job = new URL('./kafka-job.ts', import.meta.url);
const clock = () => performance.timeOrigin + performance.now();
const partitions = 2;
/** Records per produce request while filling the input topic. */
const fillBatch = 2_000;
/** The exactly-once run's checkpoint interval: each checkpoint commits a transaction per worker. */
const exactlyOnceCheckpointMs = 1_000;

export interface KafkaFigures {
  records: number;
  weirConsumeEventsPerSec: number;
  kafkajsConsumeEventsPerSec: number;
  consumeRatio: number;
  weirProduceEventsPerSec: number;
  kafkajsProduceEventsPerSec: number;
  produceRatio: number;
  weirProduceExactlyOnceEventsPerSec: number;
  /** Exactly-once ÷ at-least-once, both weir. */
  exactlyOnceRatio: number;
  latency: LatencyComparison;
}

export interface LatencyComparison {
  atLeastOnce: LatencyPercentiles;
  exactlyOnce: LatencyPercentiles;
  /** Each run's figures, in order. */
  runs: Array<{ atLeastOnce: LatencyPercentiles; exactlyOnce: LatencyPercentiles }>;
}

const value = (i: number) => JSON.stringify({ key: i % 10_000, seq: i, value: (i * 7919) % 1000 });

async function fill(kafka: Kafka, topic: string, records: number): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (let i = 0; i < records; i += fillBatch * partitions) {
    const messages = [];
    for (let j = i; j < Math.min(records, i + fillBatch * partitions); j++) messages.push({ value: value(j), partition: j % partitions });
    await producer.send({ topic, messages, acks: -1 });
  }
  await producer.disconnect();
}

async function weirConsume(mock: KafkaBroker, topic: string, records: number): Promise<number> {
  const handle = await run(job, { parallelism: partitions, params: { brokers: mock.bootstrap.join(','), topic, partitions: String(partitions), mode: 'source' } });
  const sinkIn = () => handle.metrics().operators.find((o) => o.name === 'noop')?.recordsIn ?? 0;
  while (sinkIn() < records) await new Promise((r) => setTimeout(r, 5));
  const result = await handle.stop();
  const parts = result.results.noop as Array<{ records: number; firstMs: number; lastMs: number }>;
  const seen = parts.reduce((s, p) => s + p.records, 0);
  if (seen !== records) throw new Error(`weir consumed ${seen} records, expected ${records}`);
  return records / ((Math.max(...parts.map((p) => p.lastMs)) - Math.min(...parts.map((p) => p.firstMs))) / 1000);
}

async function kafkajsConsume(kafka: Kafka, topic: string, records: number, run: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-${run}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let firstMs = NaN;
  let lastMs = NaN;
  await new Promise<void>((done) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        if (seen === 0) firstMs = clock();
        seen += batch.messages.length;
        lastMs = clock();
        if (seen >= records) done();
      },
    });
  });
  await consumer.disconnect();
  if (seen !== records) throw new Error(`kafkajs consumed ${seen} records, expected ${records}`);
  return records / ((lastMs - firstMs) / 1000);
}

async function weirProduce(mock: KafkaBroker, topic: string, records: number, guarantee: 'at-least-once' | 'exactly-once' = 'at-least-once'): Promise<number> {
  const exactlyOnce = guarantee === 'exactly-once';
  const stateDir = exactlyOnce ? mkdtempSync(join(tmpdir(), 'weir-bench-kafka-eo-')) : undefined;
  try {
    const result = await (
      await run(job, {
        parallelism: 1,
        checkpointIntervalMs: exactlyOnce ? exactlyOnceCheckpointMs : undefined,
        stateDir,
        params: { brokers: mock.bootstrap.join(','), topic, count: String(records), mode: 'sink', guarantee },
      })
    ).done;
    return records / (result.durationMs / 1000);
  } finally {
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  }
}

async function kafkajsProduce(kafka: Kafka, topic: string, records: number): Promise<number> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const start = clock();
  const batch = limits.kafkaSinkBufferRecordsMax;
  for (let i = 0; i < records; i += batch) {
    const messages = [];
    for (let j = i; j < Math.min(records, i + batch); j++) messages.push({ value: value(j) });
    await producer.send({ topic, messages, acks: -1 });
  }
  const seconds = (clock() - start) / 1000;
  await producer.disconnect();
  return records / seconds;
}

/** Progress on stderr, so stdout stays the table. */
async function stage<T>(name: string, f: () => Promise<T>): Promise<T> {
  const start = clock();
  const value = await f();
  process.stderr.write(`${name}: ${typeof value === 'number' ? `${Math.round(value).toLocaleString('en')} events/s` : 'done'} (${((clock() - start) / 1000).toFixed(1)} s)\n`);
  return value;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const ms = (l: LatencyPercentiles) => `p50 ${l.p50Ms.toFixed(1)} ms, p99 ${l.p99Ms.toFixed(1)} ms, p99.9 ${l.p999Ms.toFixed(1)} ms`;

/** One round of the visibility latency, at-least-once and exactly-once (which goes first alternates). */
async function latencyRound(broker: KafkaBroker, r: number): Promise<{ atLeastOnce: LatencyPercentiles; exactlyOnce: LatencyPercentiles }> {
  const one = async (guarantee: 'at-least-once' | 'exactly-once') => {
    const start = clock();
    const l = await visibilityLatency(broker, `bench-latency-${guarantee}-${r}`, guarantee);
    process.stderr.write(`latency ${guarantee}: ${ms(l)} (${((clock() - start) / 1000).toFixed(1)} s)\n`);
    return l;
  };
  if (r % 2 === 0) {
    const atLeastOnce = await one('at-least-once');
    return { atLeastOnce, exactlyOnce: await one('exactly-once') };
  }
  const exactlyOnce = await one('exactly-once');
  return { atLeastOnce: await one('at-least-once'), exactlyOnce };
}

function latencyComparison(runs: LatencyComparison['runs']): LatencyComparison {
  return { atLeastOnce: medianLatency(runs.map((r) => r.atLeastOnce)), exactlyOnce: medianLatency(runs.map((r) => r.exactlyOnce)), runs };
}

/** Only the visibility latency comparison, `runs` rounds on one broker. */
export async function kafkaLatencyBench(opts: { runs: number }): Promise<LatencyComparison> {
  const broker = await startKafkaBroker();
  try {
    const runs = [];
    for (let r = 0; r < opts.runs; r++) runs.push(await latencyRound(broker, r));
    return latencyComparison(runs);
  } finally {
    await broker.destroy();
  }
}

export async function kafkaBench(opts: { records: number; runs: number }): Promise<KafkaFigures> {
  const mock = await startKafkaBroker();
  try {
    const kafka = new Kafka({ brokers: mock.bootstrap, logLevel: logLevel.NOTHING, clientId: 'bench' });
    await mock.createTopic('bench-in', partitions);
    await stage('fill', () => fill(kafka, 'bench-in', opts.records));
    const wc: number[] = [];
    const kc: number[] = [];
    const wp: number[] = [];
    const kp: number[] = [];
    const we: number[] = [];
    const latencies: LatencyComparison['runs'] = [];
    for (let r = 0; r < opts.runs; r++) {
      // Alternate which goes first, so neither always runs on a warmer broker.
      if (r % 2 === 0) {
        wc.push(await stage('weir consume', () => weirConsume(mock, 'bench-in', opts.records)));
        kc.push(await stage('kafkajs consume', () => kafkajsConsume(kafka, 'bench-in', opts.records, r)));
      } else {
        kc.push(await stage('kafkajs consume', () => kafkajsConsume(kafka, 'bench-in', opts.records, r)));
        wc.push(await stage('weir consume', () => weirConsume(mock, 'bench-in', opts.records)));
      }
      await mock.createTopic(`bench-out-w${r}`, partitions);
      await mock.createTopic(`bench-out-k${r}`, partitions);
      wp.push(await stage('weir produce', () => weirProduce(mock, `bench-out-w${r}`, opts.records)));
      kp.push(await stage('kafkajs produce', () => kafkajsProduce(kafka, `bench-out-k${r}`, opts.records)));
      await mock.createTopic(`bench-out-e${r}`, partitions);
      we.push(await stage('weir produce, exactly-once', () => weirProduce(mock, `bench-out-e${r}`, opts.records, 'exactly-once')));
      latencies.push(await latencyRound(mock, r));
    }
    const f = {
      records: opts.records,
      weirConsumeEventsPerSec: median(wc),
      kafkajsConsumeEventsPerSec: median(kc),
      weirProduceEventsPerSec: median(wp),
      kafkajsProduceEventsPerSec: median(kp),
      weirProduceExactlyOnceEventsPerSec: median(we),
    };
    return {
      ...f,
      consumeRatio: f.weirConsumeEventsPerSec / f.kafkajsConsumeEventsPerSec,
      produceRatio: f.weirProduceEventsPerSec / f.kafkajsProduceEventsPerSec,
      exactlyOnceRatio: f.weirProduceExactlyOnceEventsPerSec / f.weirProduceEventsPerSec,
      latency: latencyComparison(latencies),
    };
  } finally {
    await mock.destroy();
  }
}

export function formatKafkaFigures(f: KafkaFigures): string {
  const k = (x: number) => `${Math.round(x / 1000).toLocaleString('en')} K`;
  return [
    `| ${f.records.toLocaleString('en')} records | weir | plain kafkajs | weir / kafkajs |`,
    '|---|---:|---:|---:|',
    `| consume (events/s) | ${k(f.weirConsumeEventsPerSec)} | ${k(f.kafkajsConsumeEventsPerSec)} | ${f.consumeRatio.toFixed(2)}× |`,
    `| produce (events/s) | ${k(f.weirProduceEventsPerSec)} | ${k(f.kafkajsProduceEventsPerSec)} | ${f.produceRatio.toFixed(2)}× |`,
    `| produce exactly-once, a checkpoint every ${exactlyOnceCheckpointMs} ms (events/s) | ${k(f.weirProduceExactlyOnceEventsPerSec)} | | ${f.exactlyOnceRatio.toFixed(2)}× of weir at-least-once |`,
    '',
    formatLatency(f.latency),
  ].join('\n');
}

export function formatLatency(l: LatencyComparison): string {
  return [
    `Median of ${l.runs.length}:`,
    '',
    formatLatencyComparison(visibilityLatencyDefaults, l.atLeastOnce, l.exactlyOnce),
    '',
    ...l.runs.map((r, i) => `Run ${i + 1}: at-least-once ${ms(r.atLeastOnce)}; exactly-once ${ms(r.exactlyOnce)}`),
  ].join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const records = Number(process.argv[2] ?? 200_000);
  const runs = Number(process.argv[3] ?? 3);
  if (process.argv[4] === 'latency') console.log(formatLatency(await kafkaLatencyBench({ runs })));
  else console.log(formatKafkaFigures(await kafkaBench({ records, runs })));
}
