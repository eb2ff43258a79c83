/**
 * Channel throughput: frames/s through one SharedArrayBuffer ring between two worker threads,
 * against worker postMessage (one message per record, and arrays of 512 records per message).
 *
 *   node bin/run-ts.mjs native-bench/channel.ts [ringFrames] [runs]
 *
 * This one file is both the benchmark driver and the worker module (it starts itself with a role
 * in workerData), so it needs nothing else under native-bench/. test/channel/bench.test.ts runs
 * it small so it never rots.
 *
 * Measured on the 2-core development VM (Node 20.20, median of 3 runs, 20M ring frames of 8 B,
 * 1 MiB ring, producer publishing every 512 frames, consumer releasing every 512):
 *   ring 95.6 M frames/s · postMessage per record 1.2 M/s · postMessage ×512 18.2 M/s · ratio 79×.
 * The ring side does no RecordMeta/codec work: it measures the channel itself (reserve/commit/
 * publish, next/release, doorbells), as the postMessage side measures postMessage of a number.
 */
import { isMainThread, MessageChannel, parentPort, workerData, type MessagePort, type Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { limits } from '../src/limits.ts';
import { startTsWorker } from '../src/util/ts-worker.ts';
import { nowMs } from '../src/util/clock.ts';
import { Doorbells } from '../src/channel/doorbell.ts';
import { FrameKind, kRingHeaderBytes } from '../src/channel/layout.ts';
import { initRing, ringByteLength, RingReader, RingWriter } from '../src/channel/ring.ts';

export interface ChannelBenchOptions {
  /** Frames through the ring. */
  frames: number;
  /** Payload bytes per frame (≥ 8: the first 8 carry a counter). Default 8. */
  payloadBytes?: number;
  /** Records sent one per postMessage. Default min(frames, 1,000,000). */
  postMessageFrames?: number;
  /** Records sent in arrays of 512 per postMessage. Default min(frames, 5,000,000). */
  postMessageBatchedFrames?: number;
  /** Ring capacity. Default limits.ringCapacityBytes. */
  ringCapacityBytes?: number;
}

export interface ChannelBenchResult {
  ringFramesPerSec: number;
  postMessageFramesPerSec: number;
  postMessageBatchedFramesPerSec: number;
  /** ringFramesPerSec / postMessageFramesPerSec. */
  ratio: number;
  /** How often each side of the ring parked on its doorbell (diagnostics). */
  ringProducerParks?: number;
  ringConsumerParks?: number;
}

/** Records per postMessage in the batched variant. */
const kPostMessageBatch = 512;
/** Most records in flight (posted, not yet counted by the consumer) in the postMessage variants: keeps their queues bounded like the ring. */
const kPostMessageWindow = 65536;
/** The consumer reports progress (credit) every this many records. */
const kCreditEvery = 4096;

// Slots of the small control SharedArrayBuffer each run uses.
const kStart = 0; // main sets 1 to start the clock
const kCredit = 1; // postMessage variants: records the consumer has counted
const kControlSlots = 2;

type Role = 'ring-producer' | 'ring-consumer' | 'pm-producer' | 'pm-consumer';

interface RoleData {
  channelBenchRole: Role;
  frames: number;
  payloadBytes: number;
  batched?: boolean;
  ring?: SharedArrayBuffer;
  control: SharedArrayBuffer;
  port?: MessagePort;
}

interface RoleResult {
  sum: number;
  count: number;
  endMs: number;
  parks: number;
}

// ------------------------------------------------------------------------------------------------
// Workers

function waitForStart(control: Int32Array): void {
  while (Atomics.load(control, kStart) === 0) Atomics.wait(control, kStart, 0, 1000);
}

const kProducerId = 0;
const kConsumerId = 1;

function ringProducer(d: RoleData): RoleResult {
  const control = new Int32Array(d.control);
  const bells = new Doorbells(d.ring!, 0, 2);
  const w = new RingWriter(d.ring!, Doorbells.byteLength(2), bells, kConsumerId, kProducerId);
  const f64 = w.f64;
  const { frames, payloadBytes } = d;
  const batch = limits.sourceBatchRecordsMax;
  const spin = limits.spinIterationsBeforePark;
  const hasRoom = () => w.hasRoom(payloadBytes);
  let parks = 0;
  parentPort!.postMessage('ready');
  waitForStart(control);
  let i = 0;
  while (i < frames) {
    const end = Math.min(i + batch, frames);
    while (i < end) {
      const p = w.reserve(payloadBytes);
      if (p < 0) {
        // Full (reserve() has published what was pending): spin briefly, then park on our doorbell.
        let k = 0;
        while (k < spin && !w.hasRoom(payloadBytes)) k++;
        while (!w.hasRoom(payloadBytes)) {
          parks++;
          bells.park(kProducerId, hasRoom, limits.parkTimeoutMs);
        }
        continue;
      }
      f64[p >> 3] = i;
      w.commit(FrameKind.Data, 0, payloadBytes);
      i++;
    }
    w.publish();
  }
  return { sum: 0, count: i, endMs: nowMs(), parks };
}

function ringConsumer(d: RoleData): RoleResult {
  const control = new Int32Array(d.control);
  const bells = new Doorbells(d.ring!, 0, 2);
  const r = new RingReader(d.ring!, Doorbells.byteLength(2), bells, kConsumerId, kProducerId);
  const f64 = r.f64;
  const { frames } = d;
  const spin = limits.spinIterationsBeforePark;
  const hasData = () => r.hasData();
  const releaseEvery = limits.sourceBatchRecordsMax;
  let parks = 0;
  let sum = 0;
  let n = 0;
  let sinceRelease = 0;
  parentPort!.postMessage('ready');
  waitForStart(control);
  while (n < frames) {
    const p = r.next();
    if (p < 0) {
      // Caught up: hand the space back, spin briefly, then park on our doorbell.
      r.release();
      sinceRelease = 0;
      let k = 0;
      while (k < spin && !r.hasData()) k++;
      while (!r.hasData()) {
        parks++;
        bells.park(kConsumerId, hasData, limits.parkTimeoutMs);
      }
      continue;
    }
    sum += f64[p >> 3]!;
    n++;
    if (++sinceRelease === releaseEvery) {
      r.release();
      sinceRelease = 0;
    }
  }
  r.release();
  return { sum, count: n, endMs: nowMs(), parks };
}

function pmProducer(d: RoleData): RoleResult {
  const control = new Int32Array(d.control);
  const port = d.port!;
  const { frames, payloadBytes } = d;
  const waitCredit = (sent: number) => {
    // Bounded queue: never more than kPostMessageWindow records posted and not yet counted.
    for (;;) {
      const credit = Atomics.load(control, kCredit);
      if (sent - credit < kPostMessageWindow) return;
      Atomics.wait(control, kCredit, credit, limits.parkTimeoutMs);
    }
  };
  const record = (i: number): number | Uint8Array => {
    if (payloadBytes === 8) return i;
    const b = new Uint8Array(payloadBytes);
    new DataView(b.buffer).setFloat64(0, i, true);
    return b;
  };
  parentPort!.postMessage('ready');
  waitForStart(control);
  let i = 0;
  if (d.batched) {
    while (i < frames) {
      const n = Math.min(kPostMessageBatch, frames - i);
      const arr = new Array(n);
      for (let k = 0; k < n; k++) arr[k] = record(i + k);
      waitCredit(i + n);
      port.postMessage(arr);
      i += n;
    }
  } else {
    while (i < frames) {
      if ((i & (kCreditEvery - 1)) === 0) waitCredit(i + kCreditEvery);
      port.postMessage(record(i));
      i++;
    }
  }
  port.close();
  return { sum: 0, count: i, endMs: nowMs(), parks: 0 };
}

function pmConsumer(d: RoleData): Promise<RoleResult> {
  const control = new Int32Array(d.control);
  const port = d.port!;
  const { frames, payloadBytes } = d;
  let sum = 0;
  let n = 0;
  let lastCredit = 0;
  const value = (v: number | Uint8Array): number =>
    typeof v === 'number' ? v : new DataView(v.buffer, v.byteOffset, v.byteLength).getFloat64(0, true);
  return new Promise((resolveResult) => {
    const credit = () => {
      if (n - lastCredit >= kCreditEvery || n === frames) {
        lastCredit = n;
        Atomics.store(control, kCredit, n);
        Atomics.notify(control, kCredit);
      }
      if (n === frames) {
        port.close();
        resolveResult({ sum, count: n, endMs: nowMs(), parks: 0 });
      }
    };
    port.on('message', (msg: unknown) => {
      if (Array.isArray(msg)) {
        for (let k = 0; k < msg.length; k++) sum += payloadBytes === 8 ? (msg[k] as number) : value(msg[k]);
        n += msg.length;
      } else {
        sum += value(msg as number | Uint8Array);
        n++;
      }
      credit();
    });
    parentPort!.postMessage('ready');
  });
}

if (!isMainThread && (workerData as Partial<RoleData> | null)?.channelBenchRole) {
  const d = workerData as RoleData;
  const run = async (): Promise<RoleResult> => {
    switch (d.channelBenchRole) {
      case 'ring-producer':
        return ringProducer(d);
      case 'ring-consumer':
        return ringConsumer(d);
      case 'pm-producer':
        return pmProducer(d);
      case 'pm-consumer':
        return pmConsumer(d);
    }
  };
  parentPort!.postMessage({ result: await run() });
}

// ------------------------------------------------------------------------------------------------
// Driver

const self = new URL(import.meta.url);

interface Started {
  worker: Worker;
  ready: Promise<void>;
  result: Promise<RoleResult>;
}

function start(data: RoleData, transferList: MessagePort[] = []): Started {
  const worker = startTsWorker(self, { workerData: data, transferList });
  let onReady!: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  const result = new Promise<RoleResult>((resolveResult, reject) => {
    worker.on('message', (m: unknown) => {
      if (m === 'ready') onReady();
      else if (m && typeof m === 'object' && 'result' in m) resolveResult((m as { result: RoleResult }).result);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`${data.channelBenchRole} worker exited with code ${code} before reporting`)));
  });
  result.catch(() => onReady()); // a worker that dies before "ready" must not hang the driver
  return { worker, ready, result };
}

/** Runs producer and consumer, starts the clock once both are ready, returns frames/s measured at the consumer's end. */
async function timed(control: SharedArrayBuffer, producer: Started, consumer: Started, frames: number, expectSum: number): Promise<RoleResult & { framesPerSec: number; producerParks: number }> {
  const workers = [producer.worker, consumer.worker];
  const timeout = setTimeout(() => workers.forEach((w) => void w.terminate()), 120_000);
  try {
    await Promise.all([producer.ready, consumer.ready]);
    const c = new Int32Array(control);
    const t0 = nowMs();
    Atomics.store(c, kStart, 1);
    Atomics.notify(c, kStart);
    const [p, r] = await Promise.all([producer.result, consumer.result]);
    if (r.count !== frames || r.sum !== expectSum) {
      throw new Error(`channel bench: consumer got ${r.count} records summing to ${r.sum}, expected ${frames} summing to ${expectSum}`);
    }
    return { ...r, framesPerSec: frames / ((r.endMs - t0) / 1000), producerParks: p.parks };
  } finally {
    clearTimeout(timeout);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

const sumTo = (n: number) => (n * (n - 1)) / 2;

async function ringRun(frames: number, payloadBytes: number, capacityBytes: number) {
  const ring = new SharedArrayBuffer(Doorbells.byteLength(2) + ringByteLength(capacityBytes));
  new Doorbells(ring, 0, 2);
  initRing(ring, Doorbells.byteLength(2), capacityBytes);
  const control = new SharedArrayBuffer(kControlSlots * 4);
  const base = { frames, payloadBytes, ring, control };
  const consumer = start({ ...base, channelBenchRole: 'ring-consumer' });
  const producer = start({ ...base, channelBenchRole: 'ring-producer' });
  return timed(control, producer, consumer, frames, sumTo(frames));
}

async function postMessageRun(frames: number, payloadBytes: number, batched: boolean) {
  const control = new SharedArrayBuffer(kControlSlots * 4);
  const { port1, port2 } = new MessageChannel();
  const base = { frames, payloadBytes, control, batched };
  const consumer = start({ ...base, channelBenchRole: 'pm-consumer', port: port2 }, [port2]);
  const producer = start({ ...base, channelBenchRole: 'pm-producer', port: port1 }, [port1]);
  return timed(control, producer, consumer, frames, sumTo(frames));
}

export async function channelBench(opts: ChannelBenchOptions): Promise<ChannelBenchResult> {
  const payloadBytes = opts.payloadBytes ?? 8;
  if (!(payloadBytes >= 8)) throw new Error('channelBench: payloadBytes must be ≥ 8');
  const capacityBytes = opts.ringCapacityBytes ?? limits.ringCapacityBytes;
  const ring = await ringRun(opts.frames, payloadBytes, capacityBytes);
  const pm = await postMessageRun(opts.postMessageFrames ?? Math.min(opts.frames, 1_000_000), payloadBytes, false);
  const pmBatched = await postMessageRun(opts.postMessageBatchedFrames ?? Math.min(opts.frames, 5_000_000), payloadBytes, true);
  return {
    ringFramesPerSec: ring.framesPerSec,
    postMessageFramesPerSec: pm.framesPerSec,
    postMessageBatchedFramesPerSec: pmBatched.framesPerSec,
    ratio: ring.framesPerSec / pm.framesPerSec,
    ringProducerParks: ring.producerParks,
    ringConsumerParks: ring.parks,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const frames = Number(process.argv[2] ?? 20_000_000);
  const runs = Number(process.argv[3] ?? 3);
  const results: ChannelBenchResult[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await channelBench({ frames });
    results.push(r);
    console.log(
      `run ${i + 1}/${runs}: ring ${(r.ringFramesPerSec / 1e6).toFixed(1)} M/s (parks: producer ${r.ringProducerParks}, consumer ${r.ringConsumerParks}), ` +
        `postMessage ${(r.postMessageFramesPerSec / 1e3).toFixed(0)} k/s, batched ${(r.postMessageBatchedFramesPerSec / 1e6).toFixed(2)} M/s`,
    );
  }
  const m = (k: keyof ChannelBenchResult) => median(results.map((r) => r[k] as number));
  const rows: [string, string, string][] = [
    ['ring (SAB, 1 producer → 1 consumer)', `${(m('ringFramesPerSec') / 1e6).toFixed(1)} M frames/s`, `${frames.toLocaleString('en')} frames of 8 B, ring ${limits.ringCapacityBytes >> 10} KiB + ${kRingHeaderBytes} B header`],
    ['postMessage, 1 record per message', `${(m('postMessageFramesPerSec') / 1e3).toFixed(0)} k frames/s`, `${Math.min(frames, 1_000_000).toLocaleString('en')} records`],
    ['postMessage, 512 records per message', `${(m('postMessageBatchedFramesPerSec') / 1e6).toFixed(2)} M frames/s`, `${Math.min(frames, 5_000_000).toLocaleString('en')} records`],
    ['ratio ring / postMessage per record', `${m('ratio').toFixed(0)}×`, `median of ${runs} runs`],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  console.log(`\n${'channel'.padEnd(w0)}  ${'rate (median)'.padEnd(w1)}  notes`);
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`);
}

if (isMainThread && process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
