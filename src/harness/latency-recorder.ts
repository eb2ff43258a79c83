import * as hdr from 'hdr-histogram-js';
import { nowMs } from '../util/clock.ts';

/**
 * One worker's latency bookkeeping, on when a job runs under the harness. It follows each record
 * through the chain and records, in HDR histograms of microseconds:
 *   source        scheduled creation → read by the source (a backlog at the source shows here:
 *                 the generator is open-loop, so creation is the *scheduled* time — coordinated
 *                 omission corrected by construction, not by back-filling);
 *   rings         written into an exchange ring → read from it (per hop);
 *   windows       a record emitted from a timer (a window result): its newest input's arrival at
 *                 the operator → the firing;
 *   operators     entered a chain segment (source read, ring read or timer firing) → left it (ring
 *                 write or sink);
 *   until-visible reached the sink → the sink's flush (micro-batch: the epoch end) made it visible;
 * and end-to-end = creation → visible. Records created before `measureFromMs` (the warm-up) are
 * not recorded.
 */
export const latencyStages = ['source', 'rings', 'windows', 'operators', 'until-visible'] as const;
export type LatencyStage = (typeof latencyStages)[number];

/** 1 µs to 1 hour, 3 significant digits: the whole range a record can see, at 0.1 % resolution. */
export function newLatencyHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
}

export interface LatencySnapshot {
  endToEnd: string;
  stages: Record<LatencyStage, string>;
}

export class LatencyRecorder {
  private readonly endToEnd = newLatencyHistogram();
  private readonly stages: Record<LatencyStage, hdr.Histogram>;
  /** When the record being processed entered the current chain segment (saved across nested drains). */
  segmentStartMs = NaN;
  private segmentCreatedMs = NaN;
  /** (createdMs, arrivedMs) of records in the sinks since their last flush. */
  private pending = new Float64Array(2048);
  private pendingCount = 0;

  /** Records created before this (the warm-up) are not measured; set once the job's start is known. */
  private measureFromMs = Number.POSITIVE_INFINITY;

  constructor() {
    this.stages = Object.fromEntries(latencyStages.map((s) => [s, newLatencyHistogram()])) as Record<LatencyStage, hdr.Histogram>;
  }

  measureFrom(ms: number): void {
    this.measureFromMs = ms;
  }

  /** A source hands a record over. */
  atSource(createdMs: number): void {
    const now = nowMs();
    this.enterSegment(now, createdMs);
    if (createdMs >= this.measureFromMs) record(this.stages.source, now - createdMs);
  }

  /**
   * A timer emits a record created at `createdMs` whose newest input arrived at `arrivedMs`: the
   * record's segment starts at the firing, not where the record that fired the timer entered.
   */
  atTimerEmit(arrivedMs: number, createdMs: number): void {
    const now = nowMs();
    this.enterSegment(now, createdMs);
    if (createdMs >= this.measureFromMs && Number.isFinite(arrivedMs)) record(this.stages.windows, now - arrivedMs);
  }

  /** A record leaves its segment into a ring; returns the time to stamp into the frame. */
  atSend(): number {
    const now = nowMs();
    if (this.segmentCreatedMs >= this.measureFromMs) record(this.stages.operators, now - this.segmentStartMs);
    return now;
  }

  /** A record comes out of a ring. */
  atReceive(sentMs: number, createdMs: number): void {
    const now = nowMs();
    this.enterSegment(now, createdMs);
    if (createdMs >= this.measureFromMs) record(this.stages.rings, now - sentMs);
  }

  /** A record reaches a sink; it becomes visible at the sink's next flush. */
  atSink(createdMs: number): void {
    if (!(createdMs >= this.measureFromMs)) return;
    const now = nowMs();
    record(this.stages.operators, now - this.segmentStartMs);
    if (this.pendingCount * 2 === this.pending.length) {
      const grown = new Float64Array(this.pending.length * 2);
      grown.set(this.pending);
      this.pending = grown;
    }
    this.pending[this.pendingCount * 2] = createdMs;
    this.pending[this.pendingCount * 2 + 1] = now;
    this.pendingCount++;
  }

  /** The sinks flushed: everything that reached them is visible now. */
  atFlush(): void {
    if (this.pendingCount === 0) return;
    const now = nowMs();
    for (let i = 0; i < this.pendingCount; i++) {
      record(this.endToEnd, now - this.pending[i * 2]);
      record(this.stages['until-visible'], now - this.pending[i * 2 + 1]);
    }
    this.pendingCount = 0;
  }

  /** Encodes what was recorded since the last snapshot (deflated: tens of µs per histogram), and starts afresh. */
  takeSnapshot(): LatencySnapshot {
    const snapshot = {
      endToEnd: encodeAndReset(this.endToEnd),
      stages: Object.fromEntries(latencyStages.map((s) => [s, encodeAndReset(this.stages[s])])) as Record<LatencyStage, string>,
    };
    return snapshot;
  }

  private enterSegment(now: number, createdMs: number): void {
    this.segmentStartMs = now;
    this.segmentCreatedMs = createdMs;
  }

  /** The segment state, to restore after a nested drain (a blocked send processes other records). */
  saveSegment(): [number, number] {
    return [this.segmentStartMs, this.segmentCreatedMs];
  }

  restoreSegment([startMs, createdMs]: [number, number]): void {
    this.segmentStartMs = startMs;
    this.segmentCreatedMs = createdMs;
  }
}

function record(h: hdr.Histogram, ms: number): void {
  // Clock readings of different threads can disagree by a few µs: a negative span is 0.
  h.recordValue(Math.min(3_600_000_000, Math.max(0, Math.round(ms * 1000))));
}

function encodeAndReset(h: hdr.Histogram): string {
  const encoded = hdr.encodeIntoCompressedBase64(h);
  h.reset();
  return encoded;
}
