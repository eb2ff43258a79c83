import { notCopied, type Codec as RecordCodec, type CopySize } from '../../channel/codec.ts';
import { dataCreated, dataOffset, dataSent, dataTimestamp, kRecordMetaBytes, readControl, readData, roundTrip, writeControl, writeData, type ControlFrame } from '../../channel/frames.ts';
import type { LatencyRecorder } from '../instrumentation/latency-recorder.ts';
import { FrameKind, kFrameHeaderBytes } from '../../channel/layout.ts';
import type { RingReader, RingWriter } from '../../channel/ring.ts';
import type { LogicalNode } from '../../api/graph.ts';
import { internalError, WeirError } from '../../errors.ts';
import { assert, limits } from '../../limits.ts';
import type { Deliver, RecordPosition } from './chain.ts';
import type { Plan } from '../plan.ts';
import { kAbort, throwIfAborted, type SharedViews } from '../protocol.ts';
import type { InBandControl } from './in-band-control.ts';
import type { Parking } from './environment.ts';
import { preAggregatedCodec, preAggregatingReader } from './pre-aggregator.ts';
import { LocalChannel } from './local-channel.ts';

/** Room a control frame needs at most (flatbuffers body of a few scalars, frame header, padding). */
const kControlFrameBytesMax = 128;

/**
 * One worker's side of every exchange (keyBy): it writes one ring per (exchange, other worker) and
 * reads one ring per (exchange, other sender); what it sends to itself goes through a local
 * channel instead (local-channel.ts), which is read in the same place and held the same way.
 * Records go to the chain; control frames go to the worker's in-band control
 * (in-band-control.ts), which also says which channels are held and decides every control frame
 * written.
 *
 * Deadlock freedom: when a ring of exchange e is full, the worker does not just wait — it drains
 * its own input rings of exchanges ≥ e meanwhile. Processing those can only write into exchanges
 * > e (exchanges are numbered in topological order and the graph is a DAG), so the nesting is
 * bounded by the number of exchanges and no operator is re-entered. Two workers blocked on each
 * other's rings therefore keep emptying each other's rings. A worker waiting on its own full
 * local channel of e empties it the same way (unless it is held: then, as barriers.ts shows, the
 * worker sends it nothing until its snapshot).
 */
export class Exchanges {
  readonly out: RingWriter[][]; // [exchange][target]; [e][me] is unused (local)
  private readonly in: RingReader[][]; // [exchange][sender]; [e][me] is unused (local)
  private readonly local: LocalChannel[]; // [exchange]
  /** Where a record for a local channel that its codec does not copy is encoded and decoded (made when first needed). */
  private scratch: { u8: Uint8Array; dv: DataView } | undefined;
  /** The size of the record copyOf copied last. */
  private readonly copied: CopySize = { bytes: 0 };
  private readonly codecs: RecordCodec<unknown>[];
  private readonly names: string[];
  private readonly n: number;
  /** Time blocked on full rings, [exchange × parallelism + target]. */
  readonly blockedMs: Float64Array;
  /** [exchange]: 1 while a checkpoint's barrier is in it and its snapshot not taken (barriers.ts): no record may enter. */
  private readonly sealed: Uint8Array;
  parks = 0;
  /** The receiving side of each exchange: its consumers in the chain (set once the chain is compiled). */
  private deliver: Deliver[] = [];

  constructor(
    plan: Plan,
    private readonly views: SharedViews,
    private readonly parking: Parking,
    private readonly me: number,
    defaultCodec: RecordCodec<unknown>,
    private readonly position: RecordPosition,
    private readonly control: InBandControl,
    private readonly latency: LatencyRecorder | undefined,
  ) {
    this.n = plan.parallelism;
    const range = (k: number) => Array.from({ length: k }, (_, i) => i);
    this.out = plan.exchanges.map((_, e) => range(this.n).map((t) => views.writer(e, me, t)));
    this.in = plan.exchanges.map((_, e) => range(this.n).map((s) => views.reader(e, s, me)));
    this.local = plan.exchanges.map(() => new LocalChannel());
    this.codecs = plan.exchanges.map((id) => {
      const node = plan.graph.nodes[id] as LogicalNode & { kind: 'keyBy' };
      const records = node.codec ?? defaultCodec;
      return preAggregatingReader(plan.graph, node) === undefined ? records : (preAggregatedCodec(records) as RecordCodec<unknown>);
    });
    this.names = plan.exchanges.map((id) => plan.graph.nodes[id].name);
    this.blockedMs = new Float64Array(plan.exchanges.length * this.n);
    this.sealed = control.barriers?.sealed ?? new Uint8Array(plan.exchanges.length);
  }

  /** The chain's consumers of each exchange (once the chain is compiled). */
  connect(deliver: Deliver[]): void {
    this.deliver = deliver;
  }

  /** A control frame to every target of exchange e; all or nothing (retried next round if a ring is full). */
  readonly broadcast = (e: number, frame: ControlFrame): boolean => {
    const writers = this.out[e];
    if (!writers.every((w, t) => t === this.me || w.hasRoom(kControlFrameBytesMax))) return false;
    for (let t = 0; t < this.n; t++) {
      if (t === this.me) {
        this.local[e].pushControl(frame);
        continue;
      }
      assert(writeControl(writers[t], frame), 'room was checked before writing a control frame');
      writers[t].publish();
    }
    return true;
  };

  send(e: number, target: number, value: unknown, timestampMs: number, createdMs: number): void {
    if (this.sealed[e] !== 0) throw recordAfterBarrier(this.names[e]);
    if (target === this.me) return this.sendLocal(e, value, timestampMs, createdMs);
    const w = this.out[e][target];
    const { partition, offset } = this.position;
    // The time the record tries to enter the ring: a wait for room counts as time in the ring.
    const sentMs = this.latency === undefined ? NaN : this.latency.atSend();
    if (!writeData(w, this.codecs[e], value, partition, offset, timestampMs, createdMs, this.names[e], sentMs)) {
      this.sendBlocked(e, target, value, timestampMs, createdMs, sentMs);
    } else if (w.pendingFrames >= limits.sourceBatchRecordsMax) {
      w.publish();
    }
  }

  private sendBlocked(e: number, target: number, value: unknown, timestampMs: number, createdMs: number, sentMs: number): void {
    const w = this.out[e][target];
    const started = performance.now();
    // Waiting drains other records through the chain: keep this record's context to restore.
    const { partition, offset } = this.position;
    const segment = this.latency?.saveSegment();
    w.publish();
    try {
      while (!writeData(w, this.codecs[e], value, partition, offset, timestampMs, createdMs, this.names[e], sentMs)) {
        this.waitForRoom(e, w);
      }
    } finally {
      // Also when the record turns out too large: its operator may dead-letter it and go on.
      this.position.partition = partition;
      this.position.offset = offset;
    }
    if (segment) this.latency!.restoreSegment(segment);
    this.blockedMs[e * this.n + target] += performance.now() - started;
  }

  /**
   * A record to this worker itself: a copy of it into the local channel, the copy made first (what
   * cannot be sent fails as writeData fails, with nothing queued). When the record would take the
   * channel past its ring's capacity, or past localChannelRecordsMax records, the sender waits as
   * at a full ring: until half of both are free (a record takes at most a quarter of a ring).
   */
  private sendLocal(e: number, value: unknown, timestampMs: number, createdMs: number): void {
    const { partition, offset } = this.position;
    const sentMs = this.latency === undefined ? NaN : this.latency.atSend();
    const copy = this.copyOf(e, value, partition, offset);
    const frameBytes = kFrameHeaderBytes + kRecordMetaBytes + this.copied.bytes;
    const channel = this.local[e];
    const capacityBytes = this.out[e][this.me].capacityBytes;
    if (channel.length >= limits.localChannelRecordsMax || channel.usedBytes + frameBytes > capacityBytes) {
      const started = performance.now();
      const segment = this.latency?.saveSegment();
      try {
        this.waitUntil(e, () => channel.length <= limits.localChannelRecordsMax / 2 && channel.usedBytes <= capacityBytes / 2);
      } finally {
        this.position.partition = partition;
        this.position.offset = offset;
      }
      if (segment) this.latency!.restoreSegment(segment);
      this.blockedMs[e * this.n + this.me] += performance.now() - started;
    }
    channel.pushData(copy, frameBytes, partition, offset, timestampMs, createdMs, sentMs);
  }

  /** What the exchange's reader would decode from `value`'s frame: the codec's copy, or the trip through bytes. */
  private copyOf(e: number, value: unknown, partition: number, offset: number): unknown {
    const codec = this.codecs[e];
    const room = this.out[e][this.me]; // the ring this channel stands for: its limits are the exchange's
    if (codec.copy !== undefined) {
      let copy: unknown = notCopied;
      try {
        copy = codec.copy(value, room.maxPayloadBytes - kRecordMetaBytes, this.copied);
      } catch {
        // A getter that throws: the trip through bytes fails the way a ring's would.
      }
      if (copy !== notCopied) return copy;
    }
    if (this.scratch === undefined) {
      const u8 = new Uint8Array(room.maxPayloadBytes);
      this.scratch = { u8, dv: new DataView(u8.buffer) };
    }
    return roundTrip(this.scratch, room, codec, value, this.names[e], partition, offset, this.copied);
  }

  /**
   * Waits until half of `w` is free (a frame is at most a quarter of a ring, so it then fits even
   * after a wrap; the hysteresis also keeps wake-ups rare), doing downstream work meanwhile.
   */
  private waitForRoom(e: number, w: RingWriter): void {
    this.waitUntil(e, () => w.usedBytes() <= w.capacityBytes / 2);
  }

  /** Drains exchanges ≥ e until `enough`, parking when nothing moves. */
  private waitUntil(e: number, enough: () => boolean): void {
    let spins = 0;
    while (!enough()) {
      throwIfAborted(this.views, this.me);
      if (this.drain(e)) {
        this.publishAll();
        spins = 0;
        continue;
      }
      this.publishAll();
      if (++spins < limits.spinIterationsBeforePark) continue;
      spins = 0;
      this.parks++;
      this.parking.park(this.me, () => enough() || this.hasInput(e) || this.views.flag(kAbort) !== 0, limits.parkTimeoutMs);
    }
  }

  /** Processes what is waiting in the input rings of exchanges ≥ fromExchange (but not of those `skip` says: their consumer is full). */
  drain(fromExchange: number, skip?: (exchange: number) => boolean): boolean {
    let progress = false;
    for (let e = fromExchange; e < this.in.length; e++) {
      if (skip?.(e)) continue;
      const deliver = this.deliver[e];
      const codec = this.codecs[e];
      for (let s = 0; s < this.n; s++) {
        if (this.control.held(e, s)) continue;
        if (s === this.me) {
          progress = this.drainLocal(e, deliver) || progress;
          continue;
        }
        const r = this.in[e][s];
        let frames = 0;
        // A barrier holds the ring at once: the frames after it stay unread (in-band-control.ts).
        for (let p = r.next(); p >= 0; p = frames < limits.sourceBatchRecordsMax && !this.control.held(e, s) ? r.next() : -1) {
          frames++;
          if (r.kind === FrameKind.Data) {
            this.position.partition = r.aux;
            this.position.offset = dataOffset(r, p);
            let value: unknown;
            try {
              value = readData(r, p, codec);
            } catch (cause) {
              throw new WeirError('WEIR_DECODE', `exchange "${this.names[e]}" could not decode a record from worker ${s} (source partition ${r.aux}, offset ${this.position.offset}) with codec ${codec.name}: ${(cause as Error).message}`, {
                operator: this.names[e],
                partition: r.aux,
                offset: this.position.offset,
                cause,
              });
            }
            const createdMs = dataCreated(r, p);
            if (this.latency !== undefined) this.latency.atReceive(dataSent(r, p), createdMs);
            deliver(value, dataTimestamp(r, p), createdMs);
          } else {
            this.control.received(e, s, readControl(r, p));
          }
        }
        if (frames > 0) {
          r.release();
          progress = true;
        }
      }
    }
    return progress;
  }

  /** The local channel of exchange e, as drain reads a ring: up to a batch, stopping at a barrier that holds it. */
  private drainLocal(e: number, deliver: Deliver): boolean {
    const channel = this.local[e];
    const me = this.me;
    let entries = 0;
    while (entries < limits.sourceBatchRecordsMax && !this.control.held(e, me) && channel.take()) {
      entries++;
      if (!channel.isData) {
        this.control.received(e, me, channel.value as ControlFrame);
        continue;
      }
      this.position.partition = channel.partition;
      this.position.offset = channel.offset;
      if (this.latency !== undefined) this.latency.atReceive(channel.sentMs, channel.createdMs);
      deliver(channel.value, channel.timestampMs, channel.createdMs);
    }
    return entries > 0;
  }

  /** Is there anything to read in the channels of exchanges ≥ fromExchange that are not held? */
  hasInput(fromExchange: number, skip?: (exchange: number) => boolean): boolean {
    for (let e = fromExchange; e < this.in.length; e++) {
      if (skip?.(e)) continue;
      for (let s = 0; s < this.n; s++) {
        const waiting = s === this.me ? this.local[e].length > 0 : this.in[e][s].hasData();
        if (waiting && !this.control.held(e, s)) return true;
      }
    }
    return false;
  }

  publishAll(): void {
    for (const writers of this.out) for (const w of writers) if (w.pendingFrames > 0) w.publish();
  }

}

/** A record sent into an exchange behind a barrier whose snapshot is not taken: it would be lost on a restore (barriers.ts). */
function recordAfterBarrier(exchange: string): Error {
  return internalError(`a record was sent into exchange '${exchange}' after its checkpoint barrier, before the snapshot: a restore would lose it`);
}
