import { FrameKind } from '../../channel/layout.ts';
import type { ControlFrame } from '../../channel/frames.ts';
import { assert } from '../../limits.ts';
import { internalError } from '../../errors.ts';
import { BarrierAlignment } from './barriers.ts';
import { StreamSignals } from './signals.ts';
import { WatermarkCombiner, type WatermarkDeliver } from './watermarks.ts';

/** Writes a control frame into every ring of an exchange, all or nothing; false when a ring is full (retried next round). */
export type Broadcast = (exchange: number, frame: ControlFrame) => boolean;

/** What the rest of the worker tells the control owner once per round (worker.ts). */
export interface RoundState {
  /** Every source partition this worker reads has ended. */
  sourcesEnded: boolean;
  /** Micro-batch: the newest epoch the sources have read to its end (0 in continuous mode). */
  sourcesEpoch: number;
  /** Micro-batch: the epoch being processed (0 in continuous mode). */
  currentEpoch: number;
  /** No mapAsync operator holds a record: an end may not overtake one it still has to emit. */
  asyncIdle: boolean;
  nowMs: number;
}

/**
 * The one owner of a worker's in-band control. Control travels through the exchanges' rings in
 * order with the records (exchanges.ts hands every control frame it reads to `received`, and asks
 * `held` before reading a ring); once per round the worker loop calls `forward`, which is the
 * only place control frames are written. The protocol, stated once:
 *
 * Receiving, from sender s on exchange e (exchanges are numbered in topological order):
 *  - Watermark: e's watermark is the minimum over its senders that are not idle, never going
 *    back; it goes to e's consumers in the chain (watermarks.ts).
 *  - EndOfStream: s sends nothing more into e — no record, barrier or epoch end; its watermark
 *    counts as +∞ and it counts as having ended every later epoch and passed every later barrier.
 *  - EpochEnd k (micro-batch): s has written every record of epoch k into e.
 *  - Barrier c (continuous, with checkpoints): s has written every record before checkpoint c
 *    into e; the ring is *held* — nothing after the barrier is read — until this worker
 *    completes c (barriers.ts).
 *
 * Forwarding, in this fixed order each round:
 *  1. Watermarks: the newest status the chain set for each exchange, after every record already
 *     written into it (in-band order is what makes a watermark true).
 *  2. Epoch ends, then end-of-stream — only once no watermark is pending (the last one is +∞) and
 *     no mapAsync holds a record. Each goes into exchange e once everything upstream of e has
 *     given it: this worker's sources and every sender of every earlier exchange; end-of-stream
 *     only after the current epoch's end (signals.ts).
 *  3. Barrier c: into exchange e once this worker's sources and every input of every earlier
 *     exchange have passed c (barriers.ts); the worker snapshots when every input of every
 *     exchange has, and only then reads held rings and its sources again.
 *
 * Every frame goes into all the rings of an exchange or into none (a full ring: retried next
 * round), so the receivers of one exchange always see the same control sequence.
 */
export class InBandControl {
  private readonly signals: StreamSignals;
  /** Continuous mode with checkpoints only: barrier alignment. */
  readonly barriers: BarrierAlignment | undefined;
  /** [exchange]: the watermark of its senders, delivered to its consumers (set by connect()). */
  private watermarksIn: WatermarkCombiner[] = [];
  /** Watermark status to send into each exchange, coalesced until the next forward(). */
  private readonly outWatermarkMs: Float64Array;
  private readonly outIdle: Uint8Array;
  private readonly outPending: Uint8Array;

  constructor(
    private readonly exchanges: number,
    private readonly senders: number,
    me: number,
    alignsBarriers: boolean,
  ) {
    this.signals = new StreamSignals(exchanges, senders, me);
    if (alignsBarriers) this.barriers = new BarrierAlignment(exchanges, senders, this.signals);
    this.outWatermarkMs = new Float64Array(exchanges).fill(Number.NEGATIVE_INFINITY);
    this.outIdle = new Uint8Array(exchanges);
    this.outPending = new Uint8Array(exchanges);
  }

  /** Where each exchange's combined watermark goes: its consumers in the chain. */
  connect(deliverWatermark: WatermarkDeliver[]): void {
    assert(deliverWatermark.length === this.exchanges, `${deliverWatermark.length} watermark outputs for ${this.exchanges} exchanges`);
    this.watermarksIn = deliverWatermark.map((emit) => new WatermarkCombiner(this.senders, emit));
  }

  // ---------------------------------------------------------------- receiving

  /** Is the ring from `sender` of exchange e not to be read now (it delivered a barrier this worker has not completed)? */
  held(exchange: number, sender: number): boolean {
    return this.barriers !== undefined && this.barriers.held(exchange, sender);
  }

  /** A control frame read from the ring of `sender` on exchange e, in ring order. */
  received(exchange: number, sender: number, frame: ControlFrame): void {
    if (this.held(exchange, sender)) throw internalError(`exchange ${exchange}: a frame read from sender ${sender}'s held ring`);
    switch (frame.kind) {
      case FrameKind.Watermark:
        if (this.signals.ended(exchange, sender)) throw internalError(`exchange ${exchange}: a watermark from sender ${sender} after its end-of-stream`);
        this.watermarksIn[exchange].update(sender, frame.timestampMs, frame.idle);
        return;
      case FrameKind.EndOfStream:
        this.signals.receivedEnd(exchange, sender);
        this.watermarksIn[exchange].update(sender, Number.POSITIVE_INFINITY, false);
        return;
      case FrameKind.EpochEnd:
        this.signals.receivedEpochEnd(exchange, sender, frame.epoch);
        return;
      case FrameKind.Barrier:
        assert(this.barriers !== undefined, `exchange ${exchange}: a barrier from sender ${sender} in a job that aligns none`);
        this.barriers.received(exchange, sender, Number(frame.checkpointId));
        return;
    }
  }

  // ---------------------------------------------------------------- forwarding

  /** The chain's watermark status for exchange e; forward() sends the newest one. */
  setWatermark(exchange: number, watermarkMs: number, idle: boolean): void {
    if (!(watermarkMs >= this.outWatermarkMs[exchange] || idle)) throw internalError(`exchange ${exchange}: watermark ${watermarkMs} after ${this.outWatermarkMs[exchange]}`);
    this.outWatermarkMs[exchange] = watermarkMs;
    this.outIdle[exchange] = idle ? 1 : 0;
    this.outPending[exchange] = 1;
  }

  /** Sends what the protocol allows now, in its fixed order (see the class comment). */
  forward(round: RoundState, broadcast: Broadcast): void {
    const watermarksOut = this.forwardWatermarks(broadcast);
    if (watermarksOut && round.asyncIdle) this.signals.propagate(round.sourcesEnded, round.sourcesEpoch, round.currentEpoch, broadcast);
    this.barriers?.propagate(round.nowMs, broadcast);
  }

  /**
   * Could forward() write an epoch end, an end of stream or a barrier this round? The partial
   * aggregates held for an exchange must be in it before any of those (pre-aggregator.ts).
   */
  maySignal(round: RoundState): boolean {
    return (this.barriers?.sourcesPaused ?? false) || this.signals.maySend(round.sourcesEnded, round.sourcesEpoch);
  }

  /** Step 1; true when no watermark is left pending. */
  private forwardWatermarks(broadcast: Broadcast): boolean {
    let done = true;
    for (let e = 0; e < this.exchanges; e++) {
      if (this.outPending[e] === 0) continue;
      // After its end-of-stream this worker sends no watermark into e: the end already counts as +∞.
      if (this.signals.endedByMe(e)) {
        this.outPending[e] = 0;
        continue;
      }
      if (broadcast(e, { kind: FrameKind.Watermark, timestampMs: this.outWatermarkMs[e], idle: this.outIdle[e] !== 0 })) this.outPending[e] = 0;
      else done = false;
    }
    return done;
  }

  // ---------------------------------------------------------------- questions of the loop

  /** Every exchange has been ended by every sender and by this worker. */
  allExchangesEnded(): boolean {
    return this.signals.allExchangesEnded();
  }

  /** Every exchange has carried epoch `epoch`'s end from every sender, and from this worker. */
  epochPassedEverywhere(epoch: number): boolean {
    return this.signals.epochPassedEverywhere(epoch);
  }
}
