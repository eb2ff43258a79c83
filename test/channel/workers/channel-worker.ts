// Worker thread for test/channel: one role per start, named in workerData.role.
// Every loop here parks on its doorbell (never spins unbounded) and gives up after a deadline.
import { parentPort, workerData } from 'node:worker_threads';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Doorbells } from '../../../src/channel/doorbell.ts';
import { RingReader, RingWriter } from '../../../src/channel/ring.ts';
import { FrameKind } from '../../../src/channel/layout.ts';
import { jsonCodec } from '../../../src/channel/codec.ts';
import { readData, writeData } from '../../../src/channel/frames.ts';
import { limits } from '../../../src/limits.ts';

export interface WorkerInput {
  role: string;
  sab: SharedArrayBuffer; // doorbells at 0, then (if any) a ring at ringOffset
  bells: number;
  ringOffset?: number;
  flags?: SharedArrayBuffer;
  id?: number;
  peer?: number;
  frames?: number;
  timeoutMs?: number;
  rounds?: number;
  recordChars?: number;
  sleepEvery?: number;
  deadlineMs?: number;
}

const d = workerData as WorkerInput;
const bells = new Doorbells(d.sab, 0, d.bells);
const deadline = Date.now() + (d.deadlineMs ?? 30_000);
const spin = limits.spinIterationsBeforePark;

function checkDeadline(what: string): void {
  if (Date.now() > deadline) throw new Error(`${d.role}: deadline passed while ${what}`);
}

/** Spins briefly, then parks on our doorbell until ready(); returns the number of parks. */
function waitUntil(id: number, ready: () => boolean, what: string): number {
  for (let k = 0; k < spin; k++) if (ready()) return 0;
  let parks = 0;
  while (!ready()) {
    checkDeadline(what);
    parks++;
    bells.park(id, ready, limits.parkTimeoutMs);
  }
  return parks;
}

function run(): unknown {
  switch (d.role) {
    // ---------------------------------------------------------------- doorbells
    case 'park': {
      // Parks until flags[0] === 1 (set by the main thread, which then rings us).
      const flags = new Int32Array(d.flags!);
      parentPort!.postMessage({ parking: true });
      const t0 = performance.now();
      const woke = bells.park(d.id!, () => Atomics.load(flags, 0) === 1, d.timeoutMs!);
      return { woke, elapsedMs: performance.now() - t0, flag: Atomics.load(flags, 0) };
    }
    case 'pingpong': {
      // Two threads take turns on flags[0]: thread `id` (0 or 1) moves it from 2k+id to 2k+id+1.
      // They ALWAYS park (no spinning) to stress the park/ring handshake: a lost wake-up shows up
      // as a park that times out.
      const flags = new Int32Array(d.flags!);
      const me = d.id!;
      const rounds = d.rounds!;
      let timeouts = 0;
      let parks = 0;
      for (let k = 0; k < rounds; k++) {
        const mine = 2 * k + me;
        while (Atomics.load(flags, 0) !== mine) {
          checkDeadline('ping-pong');
          parks++;
          if (!bells.park(me, () => Atomics.load(flags, 0) === mine, d.timeoutMs!)) timeouts++;
        }
        Atomics.store(flags, 0, mine + 1);
        bells.ring(d.peer!);
      }
      return { timeouts, parks };
    }

    // ---------------------------------------------------------------- raw frames, many of them
    case 'producer-raw': {
      // Frames with an 8-byte payload: a Float64 counter 0, 1, 2, …; published in batches.
      const w = new RingWriter(d.sab, d.ringOffset!, bells, d.peer!, d.id!);
      const frames = d.frames!;
      const f64 = w.f64;
      const batch = limits.sourceBatchRecordsMax;
      const ready = () => w.hasRoom(8);
      let parks = 0;
      let i = 0;
      while (i < frames) {
        const end = Math.min(frames, i + batch);
        while (i < end) {
          const p = w.reserve(8);
          if (p < 0) {
            parks += waitUntil(d.id!, ready, 'waiting for room');
            continue;
          }
          f64[p >> 3] = i;
          w.commit(FrameKind.Data, i & 0xff, 8);
          i++;
        }
        w.publish();
      }
      return { sent: i, parks };
    }
    case 'consumer-raw': {
      const r = new RingReader(d.sab, d.ringOffset!, bells, d.id!, d.peer!);
      const frames = d.frames!;
      const f64 = r.f64;
      const ready = () => r.hasData();
      let sum = 0;
      let n = 0;
      let outOfOrder = 0;
      let badAux = 0;
      let parks = 0;
      let unread = 0;
      while (n < frames) {
        const p = r.next();
        if (p < 0) {
          r.release();
          unread = 0;
          parks += waitUntil(d.id!, ready, 'waiting for data');
          continue;
        }
        const v = f64[p >> 3]!;
        if (v !== n) outOfOrder++;
        if (r.aux !== (n & 0xff) || r.kind !== FrameKind.Data || r.payloadBytes !== 8) badAux++;
        sum += v;
        n++;
        if (++unread === 512) {
          r.release();
          unread = 0;
        }
      }
      r.release();
      return { received: n, sum, outOfOrder, badAux, parks };
    }

    // ---------------------------------------------------------------- backpressure
    case 'producer-fast': {
      // JSON records of ~recordChars characters, as fast as the ring takes them. Measures: how often
      // it had to park, the most bytes ever outstanding in the ring, and its heap after full GCs.
      v8.setFlagsFromString('--expose-gc');
      const gc = vm.runInNewContext('gc') as () => void;
      const w = new RingWriter(d.sab, d.ringOffset!, bells, d.peer!, d.id!);
      const frames = d.frames!;
      const pad = 'x'.repeat(d.recordChars!);
      const ready = () => w.hasRoom(w.blockedBytes);
      let parks = 0;
      let blocked = 0;
      let maxUsed = 0;
      const heap: number[] = [];
      const sampleHeap = () => {
        gc();
        heap.push(v8.getHeapStatistics().used_heap_size);
      };
      for (let i = 0; i < frames; i++) {
        if (i % (frames / 8) === 0) sampleHeap();
        const value = { i, pad, at: Date.now() };
        while (!writeData(w, jsonCodec, value, 0, i, i, i, 'fast-producer')) {
          blocked++;
          parks += waitUntil(d.id!, ready, 'waiting for room');
        }
        const used = w.usedBytes();
        if (used > maxUsed) maxUsed = used;
        if (w.pendingFrames >= 16) w.publish();
      }
      w.publish();
      sampleHeap();
      return { sent: frames, parks, blocked, maxUsed, capacityBytes: w.capacityBytes, heap };
    }
    case 'consumer-slow': {
      // Sleeps 1 ms every `sleepEvery` records (a deliberately slow operator).
      const r = new RingReader(d.sab, d.ringOffset!, bells, d.id!, d.peer!);
      const frames = d.frames!;
      const nap = new Int32Array(new SharedArrayBuffer(4));
      const ready = () => r.hasData();
      let n = 0;
      let outOfOrder = 0;
      let maxUsed = 0;
      while (n < frames) {
        const p = r.next();
        if (p < 0) {
          r.release();
          waitUntil(d.id!, ready, 'waiting for data');
          continue;
        }
        const used = r.usedBytes();
        if (used > maxUsed) maxUsed = used;
        const v = readData(r, p, jsonCodec) as { i: number };
        if (v.i !== n) outOfOrder++;
        n++;
        r.release();
        if (n % d.sleepEvery! === 0) Atomics.wait(nap, 0, 0, 1);
      }
      return { received: n, outOfOrder, maxUsed };
    }
    default:
      throw new Error(`unknown role ${d.role}`);
  }
}

parentPort!.postMessage({ result: run() });
