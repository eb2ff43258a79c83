// Seeded randomized tests of one worker's in-band control owner, in-band-control.ts (after Flink's
// AlignedCheckpointsMassiveRandomTest): random interleavings of watermarks, epoch ends,
// end-of-stream and checkpoint barriers from N senders on E exchanges, with rings that are
// randomly full and held rings left unread, checked against the protocol's rules at every frame
// the worker forwards and every watermark it delivers. (Records are not modelled: the control
// owner never sees them; that a held ring's records stay unread is `held` being right.) One
// thread, no clock: a failing seed replays bit for bit with WEIR_CONTROL_SEED=<seed>.
import { describe, expect, it } from 'vitest';
import type { ControlFrame } from '../../src/channel/frames.ts';
import { FrameKind } from '../../src/channel/layout.ts';
import { InBandControl, type RoundState } from '../../src/runtime/worker/in-band-control.ts';
import { seededRandom } from '../../src/util/random.ts';

const firstSeed = Number(process.env.WEIR_CONTROL_SEED ?? Math.floor(Math.random() * 1_000_000));
const runs = process.env.WEIR_CONTROL_SEED ? 1 : 300;
const grid = <T>(rows: number, cols: number, fill: T): T[][] => Array.from({ length: rows }, () => new Array<T>(cols).fill(fill));

/**
 * The watermark side of both scenarios: senders' watermarks come in between their other frames,
 * the chain sets this worker's watermark for each exchange now and then, and every watermark
 * the control owner forwards or delivers is checked.
 */
class WatermarkModel {
  /** [exchange][sender]: the newest watermark that sender sent (senders ≥ 1; sender 0 is this worker). */
  private readonly fromSender: number[][];
  /** [exchange]: the newest watermark the chain set; the newest forwarded; delivered to the chain. */
  private readonly set: number[];
  private readonly forwarded: number[];
  readonly delivered: number[];

  constructor(
    private readonly seed: number,
    private readonly E: number,
    S: number,
    private readonly int: (n: number) => number,
  ) {
    this.fromSender = grid(E, S, Number.NEGATIVE_INFINITY);
    this.set = new Array<number>(E).fill(Number.NEGATIVE_INFINITY);
    this.forwarded = new Array<number>(E).fill(Number.NEGATIVE_INFINITY);
    this.delivered = new Array<number>(E).fill(Number.NEGATIVE_INFINITY);
  }

  /** The chain's outputs: each exchange's combined watermark never goes back. */
  outputs(): Array<(watermarkMs: number, idle: boolean) => void> {
    return Array.from({ length: this.E }, (_, e) => (watermarkMs: number) => {
      expect(watermarkMs, `seed ${this.seed}: exchange ${e}'s watermark went back`).toBeGreaterThanOrEqual(this.delivered[e]);
      this.delivered[e] = watermarkMs;
    });
  }

  /** The next watermark frame of sender s on exchange e (it only goes forward; sometimes idle). */
  next(e: number, s: number): ControlFrame {
    const timestampMs = Math.max(0, this.fromSender[e][s]) + this.int(100);
    this.fromSender[e][s] = timestampMs;
    return { kind: FrameKind.Watermark, timestampMs, idle: this.int(10) === 0 };
  }

  /** The chain sets this worker's watermark for a random exchange. */
  setOne(control: InBandControl): void {
    const e = this.int(this.E);
    this.set[e] = Math.max(0, this.set[e]) + this.int(100);
    control.setWatermark(e, this.set[e], false);
  }

  /** A watermark the control owner forwards into exchange e: the newest set, never going back, never after its end-of-stream. */
  sent(e: number, frame: ControlFrame, endSent: boolean): void {
    if (frame.kind !== FrameKind.Watermark) return;
    expect(endSent, `seed ${this.seed}: a watermark into exchange ${e} after this worker's end-of-stream there`).toBe(false);
    expect(frame.timestampMs, `seed ${this.seed}: the watermark forwarded into exchange ${e} is the newest the chain set`).toBe(this.set[e]);
    expect(frame.timestampMs, `seed ${this.seed}: the watermark forwarded into exchange ${e} went back`).toBeGreaterThanOrEqual(this.forwarded[e]);
    this.forwarded[e] = frame.timestampMs;
  }

  /** End-of-stream goes into exchange e only after the newest watermark set for it. */
  pendingAt(e: number): boolean {
    return this.forwarded[e] !== this.set[e];
  }
}

const roundState = (sourcesEnded: boolean, sourcesEpoch: number, currentEpoch: number, nowMs: number): RoundState => ({ sourcesEnded, sourcesEpoch, currentEpoch, asyncIdle: true, nowMs });

/** Micro-batch: watermarks, epoch ends and end-of-stream through E exchanges from S senders. */
function epochsAndEnds(seed: number): void {
  const random = seededRandom(seed);
  const int = (n: number) => Math.floor(random() * n);
  const E = 1 + int(3);
  const S = 1 + int(3);
  const epochs = 1 + int(5);
  const control = new InBandControl(E, S, 0, false);
  const watermarks = new WatermarkModel(seed, E, S, int);
  control.connect(watermarks.outputs());
  // Sender 0 is this worker: what it sends into exchange e comes back to it on ring (e, 0), in order.
  const own: ControlFrame[][] = Array.from({ length: E }, () => []);
  // Every other input (e, s) delivers its epoch ends in order, then its end-of-stream.
  const delivered = grid(E, S, 0); // frames delivered so far: epochs 1…k, then the end at k = epochs + 1
  const epochFrom = grid(E, S, 0);
  const endedFrom = grid(E, S, false);
  const sentEpoch = new Array<number>(E).fill(0);
  const sentEnd = new Array<boolean>(E).fill(false);
  let sourcesEpoch = 0;
  let sourcesEnded = false;
  let currentEpoch = 1;

  const upstreamOf = (e: number, epoch: number) => {
    for (let u = 0; u < e; u++) {
      expect(sentEpoch[u], `seed ${seed}: epoch ${epoch} into exchange ${e} before this worker sent it into exchange ${u}`).toBeGreaterThanOrEqual(epoch);
      for (let s = 0; s < S; s++) expect(endedFrom[u][s] || epochFrom[u][s] >= epoch, `seed ${seed}: epoch ${epoch} into exchange ${e} before sender ${s} ended it on exchange ${u}`).toBe(true);
    }
  };
  const broadcast = (alwaysRoom: boolean) => (e: number, frame: ControlFrame): boolean => {
    if (!alwaysRoom && random() < 0.3) return false; // a full ring: all or nothing, retried next round
    if (frame.kind === FrameKind.Watermark) {
      watermarks.sent(e, frame, sentEnd[e]);
      own[e].push(frame);
    } else if (frame.kind === FrameKind.EpochEnd) {
      expect(frame.epoch, `seed ${seed}: epoch ends into exchange ${e} go in order`).toBeGreaterThan(sentEpoch[e]);
      expect(frame.epoch, `seed ${seed}: epoch ${frame.epoch} ended before the sources finished it`).toBeLessThanOrEqual(sourcesEpoch);
      upstreamOf(e, frame.epoch);
      sentEpoch[e] = frame.epoch;
      own[e].push(frame);
    } else if (frame.kind === FrameKind.EndOfStream) {
      expect(sentEnd[e], `seed ${seed}: a second end-of-stream into exchange ${e}`).toBe(false);
      expect(sourcesEnded, `seed ${seed}: end-of-stream before the sources ended`).toBe(true);
      // End-of-stream never precedes the current epoch's end, so a receiver never misses that epoch.
      expect(sentEpoch[e], `seed ${seed}: end-of-stream into exchange ${e} before epoch ${currentEpoch} ended there`).toBeGreaterThanOrEqual(currentEpoch);
      expect(watermarks.pendingAt(e), `seed ${seed}: end-of-stream into exchange ${e} before its newest watermark`).toBe(false);
      for (let u = 0; u < e; u++) {
        expect(sentEnd[u], `seed ${seed}: end-of-stream into exchange ${e} before exchange ${u}`).toBe(true);
        for (let s = 0; s < S; s++) expect(endedFrom[u][s], `seed ${seed}: end-of-stream into exchange ${e} before sender ${s} ended exchange ${u}`).toBe(true);
      }
      sentEnd[e] = true;
      own[e].push(frame);
    } else {
      throw new Error(`seed ${seed}: unexpected control frame ${frame.kind}`);
    }
    return true;
  };
  const passedEverywhere = (epoch: number) => {
    for (let e = 0; e < E; e++) {
      if (sentEpoch[e] < epoch) return false;
      for (let s = 0; s < S; s++) if (!endedFrom[e][s] && epochFrom[e][s] < epoch) return false;
    }
    return true;
  };
  const deliverOwn = (e: number) => {
    const frame = own[e].shift()!;
    if (endedFrom[e][0]) return; // nothing is read after an end-of-stream (epoch ends may follow it)
    if (frame.kind === FrameKind.Watermark) {
      control.received(e, 0, frame);
    } else if (frame.kind === FrameKind.EpochEnd) {
      control.received(e, 0, frame);
      epochFrom[e][0] = frame.epoch;
    } else {
      control.received(e, 0, frame);
      endedFrom[e][0] = true;
    }
  };
  const deliver = (e: number, s: number) => {
    if (s === 0) return deliverOwn(e);
    // Watermarks come in between a sender's epoch ends.
    if (int(3) === 0) return control.received(e, s, watermarks.next(e, s));
    const k = ++delivered[e][s];
    if (k <= epochs) {
      control.received(e, s, { kind: FrameKind.EpochEnd, epoch: k });
      epochFrom[e][s] = k;
    } else {
      control.received(e, s, { kind: FrameKind.EndOfStream, partition: s });
      endedFrom[e][s] = true;
    }
  };
  const pending = () => {
    const open: Array<[number, number]> = [];
    for (let e = 0; e < E; e++) {
      if (own[e].length > 0) open.push([e, 0]);
      for (let s = 1; s < S; s++) if (delivered[e][s] <= epochs) open.push([e, s]);
    }
    return open;
  };

  for (let step = 0; step < 400; step++) {
    const r = random();
    if (r < 0.15 && !sourcesEnded) {
      // The sources finish the current epoch; after the last one they end.
      if (sourcesEpoch < currentEpoch) sourcesEpoch = currentEpoch;
      else if (currentEpoch < epochs) currentEpoch++;
      else sourcesEnded = true;
    } else if (r < 0.65) {
      const open = pending();
      if (open.length > 0) deliver(...open[int(open.length)]);
    } else if (r < 0.75) {
      watermarks.setOne(control);
    } else {
      control.forward(roundState(sourcesEnded, sourcesEpoch, currentEpoch, step), broadcast(false));
    }
    for (let k = 1; k <= epochs; k++) expect(control.epochPassedEverywhere(k), `seed ${seed}: epoch ${k} passed everywhere`).toBe(passedEverywhere(k));
  }
  // Liveness: once every input is in and the rings have room, everything goes out.
  sourcesEpoch = currentEpoch = epochs;
  sourcesEnded = true;
  for (let round = 0; round < E + 1; round++) {
    for (let open = pending(); open.length > 0; open = pending()) deliver(...open[0]);
    control.forward(roundState(sourcesEnded, sourcesEpoch, currentEpoch, 0), broadcast(true));
  }
  for (let open = pending(); open.length > 0; open = pending()) deliver(...open[0]);
  expect(sentEnd, `seed ${seed}`).toEqual(new Array(E).fill(true));
  expect(control.epochPassedEverywhere(epochs), `seed ${seed}`).toBe(true);
  expect(control.allExchangesEnded(), `seed ${seed}`).toBe(true);
  // Every sender ended every exchange: each exchange's watermark is +∞.
  expect(watermarks.delivered, `seed ${seed}`).toEqual(new Array(E).fill(Number.POSITIVE_INFINITY));
}

/** Continuous mode: checkpoint barriers and watermarks through E exchanges from S senders, some of which end. */
function barrierAlignment(seed: number): void {
  const random = seededRandom(seed);
  const int = (n: number) => Math.floor(random() * n);
  const E = 1 + int(3);
  const S = 1 + int(3);
  const checkpoints = 1 + int(6);
  const control = new InBandControl(E, S, 0, true);
  const alignment = control.barriers!;
  const watermarks = new WatermarkModel(seed, E, S, int);
  control.connect(watermarks.outputs());
  const received = grid(E, S, 0);
  const ended = grid(E, S, false);
  // A sender ends after some barrier (then it sends nothing more); most deliver every barrier.
  const endsAfter = Array.from({ length: E }, () => Array.from({ length: S }, () => (random() < 0.2 ? int(checkpoints + 1) : Number.POSITIVE_INFINITY)));
  const sent = new Array<number>(E).fill(0);
  // Sender 0 is this worker: its barriers come back to it on ring (e, 0), and it never ends here.
  for (let e = 0; e < E; e++) endsAfter[e][0] = Number.POSITIVE_INFINITY;
  let completed = 0;

  const delivered = (e: number, c: number) => {
    for (let s = 0; s < S; s++) if (received[e][s] < c && !ended[e][s]) return false;
    return true;
  };
  const broadcast = (alwaysRoom: boolean) => (e: number, frame: ControlFrame): boolean => {
    if (!alwaysRoom && random() < 0.3) return false;
    if (frame.kind === FrameKind.Watermark) {
      watermarks.sent(e, frame, false);
      return true;
    }
    expect(frame.kind, `seed ${seed}`).toBe(FrameKind.Barrier);
    if (frame.kind !== FrameKind.Barrier) return true;
    const c = Number(frame.checkpointId);
    expect(c, `seed ${seed}: barrier ${c} is the injected checkpoint`).toBe(alignment.injected);
    expect(c, `seed ${seed}: barriers into exchange ${e} go in order`).toBeGreaterThan(sent[e]);
    // Forwarded only after all its inputs: every earlier exchange aligned on c, and c sent there.
    for (let u = 0; u < e; u++) {
      expect(sent[u], `seed ${seed}: barrier ${c} into exchange ${e} before exchange ${u}`).toBeGreaterThanOrEqual(c);
      expect(delivered(u, c), `seed ${seed}: barrier ${c} into exchange ${e} before exchange ${u} aligned`).toBe(true);
    }
    sent[e] = c;
    return true;
  };
  const readable = () => {
    const open: Array<[number, number]> = [];
    for (let e = 0; e < E; e++) {
      for (let s = 0; s < S; s++) {
        if (ended[e][s] || received[e][s] >= checkpoints || (s === 0 && received[e][0] >= sent[e])) continue;
        // A held ring is not read: nothing after its barrier reaches the worker before the snapshot.
        expect(control.held(e, s), `seed ${seed}: held(${e}, ${s})`).toBe(received[e][s] > completed);
        if (!control.held(e, s)) open.push([e, s]);
      }
    }
    return open;
  };
  const deliver = (e: number, s: number) => {
    if (received[e][s] >= endsAfter[e][s]) {
      control.received(e, s, { kind: FrameKind.EndOfStream, partition: s });
      ended[e][s] = true;
      return;
    }
    // Watermarks come in between a sender's barriers (this worker's own come back on ring (e, 0) only as barriers here).
    if (s > 0 && int(3) === 0) return control.received(e, s, watermarks.next(e, s));
    const c = ++received[e][s];
    expect(c, `seed ${seed}: sender ${s} of exchange ${e} delivered barrier ${c} while ${completed + 1} is not complete`).toBeLessThanOrEqual(completed + 1);
    control.received(e, s, { kind: FrameKind.Barrier, checkpointId: c, timestampMs: 0 });
  };
  const alignedInModel = () => {
    const c = alignment.injected;
    if (c <= completed) return false;
    for (let e = 0; e < E; e++) if (sent[e] < c || !delivered(e, c)) return false;
    return true;
  };

  for (let step = 0; step < 400 && completed < checkpoints; step++) {
    const r = random();
    if (r < 0.1 && alignment.injected === completed) {
      alignment.inject(completed + 1, step);
      expect(alignment.sourcesPaused, `seed ${seed}`).toBe(true);
    } else if (r < 0.6) {
      const open = readable();
      if (open.length > 0) deliver(...open[int(open.length)]);
    } else if (r < 0.7) {
      watermarks.setOne(control);
    } else if (r < 0.9) {
      control.forward(roundState(false, 0, 0, step), broadcast(false));
    } else {
      expect(alignment.aligned(), `seed ${seed}: aligned`).toBe(alignedInModel());
      if (alignment.aligned()) {
        alignment.complete(step);
        completed = alignment.injected;
        // Held inputs are released exactly at completion.
        for (let e = 0; e < E; e++) for (let s = 0; s < S; s++) expect(control.held(e, s), `seed ${seed}`).toBe(received[e][s] > completed);
        expect(alignment.sourcesPaused, `seed ${seed}`).toBe(false);
      }
    }
  }
  // Liveness: with room in every ring, every checkpoint completes.
  while (completed < checkpoints) {
    if (alignment.injected === completed) alignment.inject(completed + 1, 0);
    for (let guard = 0; guard < 1000 && !alignment.aligned(); guard++) {
      control.forward(roundState(false, 0, 0, 0), broadcast(true));
      const open = readable();
      if (open.length > 0) deliver(...open[0]);
    }
    expect(alignment.aligned(), `seed ${seed}: checkpoint ${alignment.injected} never aligned`).toBe(true);
    alignment.complete(0);
    completed = alignment.injected;
  }
}

describe(`the in-band control state machines under random interleavings (seeds from ${firstSeed}; WEIR_CONTROL_SEED replays one)`, () => {
  it(`micro-batch: watermarks, epoch ends and end-of-stream follow the protocol (${runs} seeds)`, () => {
    for (let i = 0; i < runs; i++) epochsAndEnds(firstSeed + i);
  });
  it(`continuous: barrier alignment and watermarks follow the protocol (${runs} seeds)`, () => {
    for (let i = 0; i < runs; i++) barrierAlignment(firstSeed + i);
  });
});
