// Where the time and the CPU of a record through Kafka go, on a real broker this starts (one node,
// KRaft, loopback), for reading `weir bench --kafka-…` figures:
//  - produce cost: a plain kafkajs producer sends records like the bench's load producer's (key,
//    ~80-byte JSON value, the weir-created-ms header) in requests of 50, 200 and 2 000 records, one
//    at a time; CPU µs per record of this process (kafkajs's encoding) and of the broker's JVM
//    (from /proc, the broker's process group), so the cost per request shows;
//  - latency legs: weir's at-least-once kafkaSink (generator at a fixed rate, one worker, the job
//    of kafka-job.ts) into a topic with LogAppendTime, read by one plain kafkajs consumer:
//    created → appended by the broker (the producer's side: buffering, encoding, the request),
//    appended → reached the consumer (the fetch), and the total; p50/p99 of each.
// Run: node bin/run-ts.mjs native-bench/kafka-legs.ts [rate …]   (default 10000 20000; Linux only)
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createdHeader } from '../src/connectors/kafka/reader.ts';
import { run } from '../src/runtime/index.ts';
import { nowMs } from '../src/util/clock.ts';
import { startKafkaBroker, type KafkaBroker } from '../test/kafka/real-broker.ts';
import { allArrived, percentiles, recordArrivals, type LatencyPercentiles } from './kafka-latency.ts';

const job = new URL('./kafka-job.ts', import.meta.url);
const ticksPerSec = 100; // USER_HZ on Linux
const legSeconds = 8;
const legWarmupMs = 2_000;

/** CPU seconds (user + system) of every process in process group `pgid`. */
function groupCpuSeconds(pgid: number): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      // The command name (2nd field) is in parentheses and may hold spaces: split after it.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === pgid) ticks += Number(f[11]) + Number(f[12]); // pgrp, utime, stime
    } catch {
      // gone meanwhile
    }
  }
  return ticks / ticksPerSec;
}

const loadValue = (i: number) => JSON.stringify({ key: i % 1000, seq: i, value: 0.123456789 * i, ts: 1_700_000_000_000 + i });

async function produceCost(broker: KafkaBroker, kafka: Kafka, batch: number, records: number, name = 'warm-up'): Promise<{ clientUsPerRecord: number; brokerUsPerRecord: number; recordsPerSec: number }> {
  const topic = `legs-produce-${name}`;
  await broker.createTopic(topic, 2);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: false });
  await producer.connect();
  try {
    await producer.send({ topic, messages: [{ value: 'warm-up' }], acks: -1 });
    const cpu0 = process.cpuUsage();
    const broker0 = groupCpuSeconds(broker.pid);
    const start = nowMs();
    for (let i = 0; i < records; i += batch) {
      const messages = [];
      for (let j = i; j < i + batch; j++) messages.push({ key: String(j % 1000), value: loadValue(j), timestamp: String(1_700_000_000_000 + j), headers: { [createdHeader]: String(nowMs()) } });
      await producer.send({ topic, messages, acks: -1 });
    }
    const seconds = (nowMs() - start) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { clientUsPerRecord: (cpu.user + cpu.system) / records, brokerUsPerRecord: ((groupCpuSeconds(broker.pid) - broker0) * 1e6) / records, recordsPerSec: records / seconds };
  } finally {
    await producer.disconnect();
  }
}

type Leg = Pick<LatencyPercentiles, 'p50Ms' | 'p99Ms'>;

async function latencyLegs(broker: KafkaBroker, kafka: Kafka, ratePerSec: number): Promise<{ produce: Leg; fetch: Leg; total: Leg }> {
  const topic = `legs-latency-${ratePerSec}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  const count = ratePerSec * legSeconds;
  const consumer = kafka.consumer({ groupId: topic, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    const arrivals = await recordArrivals(consumer, topic, count);
    const handle = await run(job, { parallelism: 1, params: { brokers: broker.bootstrap.join(','), topic, count: String(count), mode: 'sink', ratePerSec: String(ratePerSec) } });
    await handle.done;
    await allArrived(arrivals, count, topic);
    const { createdMs, appendedMs, reachedMs } = arrivals;
    const leg = (start: Float64Array, end: Float64Array): Leg => percentiles(start, end, createdMs, legWarmupMs);
    return { produce: leg(createdMs, appendedMs), fetch: leg(appendedMs, reachedMs), total: leg(createdMs, reachedMs) };
  } finally {
    await consumer.disconnect();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rates = process.argv.slice(2).map(Number);
  const broker = await startKafkaBroker();
  try {
    const kafka = new Kafka({ brokers: broker.bootstrap, logLevel: logLevel.NOTHING, clientId: 'bench-legs' });
    // A fresh JVM interprets before it compiles: a first pass, not reported, warms the broker up.
    await produceCost(broker, kafka, 2_000, 100_000);
    console.log('| records per produce request | kafkajs client CPU µs/record | broker CPU µs/record | records/s |');
    console.log('|---:|---:|---:|---:|');
    for (const batch of [50, 200, 2_000]) {
      const c = await produceCost(broker, kafka, batch, batch === 50 ? 40_000 : 100_000, `${batch}`);
      console.log(`| ${batch.toLocaleString('en')} | ${c.clientUsPerRecord.toFixed(1)} | ${c.brokerUsPerRecord.toFixed(1)} | ${Math.round(c.recordsPerSec).toLocaleString('en')} |`);
    }
    console.log('');
    console.log('| weir kafkaSink at | created → appended p50 / p99 ms | appended → consumer p50 / p99 ms | total p50 / p99 ms |');
    console.log('|---:|---:|---:|---:|');
    for (const rate of rates.length > 0 ? rates : [10_000, 20_000]) {
      const l = await latencyLegs(broker, kafka, rate);
      const f = (x: Leg) => `${x.p50Ms.toFixed(1)} / ${x.p99Ms.toFixed(1)}`;
      console.log(`| ${rate.toLocaleString('en')}/s | ${f(l.produce)} | ${f(l.fetch)} | ${f(l.total)} |`);
    }
  } finally {
    await broker.destroy();
  }
}
