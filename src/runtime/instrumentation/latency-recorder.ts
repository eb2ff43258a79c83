import type * as Hdr from 'hdr-histogram-js';
import { lazyRequire } from '../../util/lazy-require.ts';
import { nowMs } from '../../util/clock.ts';

const hdr = lazyRequire<typeof Hdr>('hdr-histogram-js');

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
 *                 for a two-phase sink (exactly-once: a transactional file sink, Kafka
 *                 transactions) → the commit of the checkpoint whose transaction holds it;
 * and end-to-end = creation → visible. Records created before `measureFromMs` (the warm-up) are
 * not recorded.
 */
export const latencyStages = ['source', 'rings', 'windows', 'operators', 'until-visible'] as const;
export type LatencyStage = (typeof latencyStages)[number];

/** 1 µs to 1 hour, 3 significant digits: the whole range a record can see, at 0.1 % resolution. */
export function newLatencyHistogram(): Hdr.Histogram {
  return hdr().build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
}

export interface LatencySnapshot {
  endToEnd: string;
  stages: Record<LatencyStage, string>;
}

/**
 * Phase of a record: 1 when it is measured (created at or after the end of the warm-up), 0 when it
 * is not (the warm-up, or no creation time: NaN compares false).
 */
type Phase = 0 | 1;

export class LatencyRecorder {
  /**
   * Histograms per phase: [0] takes the records that are not measured and is never reported, [1]
   * the measured ones. Records of the warm-up go through exactly the code that measured records
   * go through, only into the other histogram: a path first taken when the warm-up ends (a branch
   * that skipped recording until then) made V8 throw away the hot loop's optimised code at that
   * instant, and the first tens of ms of every measurement ran in the interpreter, with a backlog.
   */
  private readonly endToEnd: [Hdr.Histogram, Hdr.Histogram] = [newLatencyHistogram(), newLatencyHistogram()];
  private readonly stages: [Record<LatencyStage, Hdr.Histogram>, Record<LatencyStage, Hdr.Histogram>] = [newStageHistograms(), newStageHistograms()];
  /** When the record being processed entered the current chain segment (saved across nested drains). */
  segmentStartMs = NaN;
  private segmentCreatedMs = NaN;
  /** Records in the sinks that their next flush makes visible. */
  private readonly pending = new PendingRecords();
  /** Records in two-phase sinks since the last pre-commit: the next checkpoint's transaction holds them. */
  private readonly pendingTransaction = new PendingRecords();
  /** Records of pre-committed transactions, by checkpoint id, visible when that checkpoint commits. */
  private readonly preCommitted: Array<{ checkpointId: number; records: PendingRecords }> = [];

  /** Records created before this (the warm-up) are not measured; set once the job's start is known. */
  private measureFromMs = Number.POSITIVE_INFINITY;

  measureFrom(ms: number): void {
    this.measureFromMs = ms;
  }

  private phase(createdMs: number): Phase {
    return createdMs >= this.measureFromMs ? 1 : 0;
  }

  /** A source hands a record over. */
  atSource(createdMs: number): void {
    const now = nowMs();
    this.enterSegment(now, createdMs);
    record(this.stages[this.phase(createdMs)].source, now - createdMs);
  }

  /**
   * A timer emits a record created at `createdMs` whose newest input arrived at `arrivedMs`: the
   * record's segment starts at the firing, not where the record that fired the timer entered.
   */
  atTimerEmit(arrivedMs: number, createdMs: number): void {
    const now = nowMs();
    this.enterSegment(now, createdMs);
    if (Number.isFinite(arrivedMs)) record(this.stages[this.phase(createdMs)].windows, now - arrivedMs);
  }

  /** A record leaves its segment into a ring; returns the time to stamp into the frame. */
  atSend(): number {
    const now = nowMs();
    record(this.stages[this.phase(this.segmentCreatedMs)].operators, now - this.segmentStartMs);
    return now;
  }

  /** A record comes out of a ring. */
  atReceive(sentMs: number, createdMs: number): void {
    const now = nowMs();
    this.enterSegment(now, createdMs);
    record(this.stages[this.phase(createdMs)].rings, now - sentMs);
  }

  /**
   * A record reaches a sink. It becomes visible at the sink's next flush or, in a two-phase sink,
   * when the checkpoint whose transaction holds it commits.
   */
  atSink(createdMs: number, twoPhase = false): void {
    const now = nowMs();
    record(this.stages[this.phase(createdMs)].operators, now - this.segmentStartMs);
    (twoPhase ? this.pendingTransaction : this.pending).push(createdMs, now);
  }

  /** The sinks flushed: everything that reached a sink that is not two-phase is visible now. */
  atFlush(): void {
    this.visible(this.pending);
  }

  /** The two-phase sinks pre-committed checkpoint `checkpointId`: what reached them since the last one is in its transaction. */
  atPreCommit(checkpointId: number): void {
    if (this.pendingTransaction.count === 0) return;
    const records = new PendingRecords();
    records.takeFrom(this.pendingTransaction);
    this.preCommitted.push({ checkpointId, records });
  }

  /** Checkpoint `checkpointId` committed: the transactions up to it are visible now. */
  atCommit(checkpointId: number): void {
    while (this.preCommitted.length > 0 && this.preCommitted[0].checkpointId <= checkpointId) this.visible(this.preCommitted.shift()!.records);
  }

  private visible(records: PendingRecords): void {
    if (records.count === 0) return;
    const now = nowMs();
    const at = records.times;
    for (let i = 0; i < records.count; i++) {
      const phase = this.phase(at[i * 2]);
      record(this.endToEnd[phase], now - at[i * 2]);
      record(this.stages[phase]['until-visible'], now - at[i * 2 + 1]);
    }
    records.count = 0;
  }

  /** Encodes the measured records since the last snapshot (deflated: tens of µs per histogram), and starts afresh. */
  takeSnapshot(): LatencySnapshot {
    const measured = this.stages[1];
    const snapshot = {
      endToEnd: encodeAndReset(this.endToEnd[1]),
      stages: Object.fromEntries(latencyStages.map((s) => [s, encodeAndReset(measured[s])])) as Record<LatencyStage, string>,
    };
    this.endToEnd[0].reset();
    for (const s of latencyStages) this.stages[0][s].reset();
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

/** (createdMs, arrivedMs) pairs of records waiting to become visible, in one growing array. */
class PendingRecords {
  times = new Float64Array(2048);
  count = 0;

  push(createdMs: number, arrivedMs: number): void {
    if (this.count * 2 === this.times.length) {
      const grown = new Float64Array(this.times.length * 2);
      grown.set(this.times);
      this.times = grown;
    }
    this.times[this.count * 2] = createdMs;
    this.times[this.count * 2 + 1] = arrivedMs;
    this.count++;
  }

  /** Takes over `other`'s records (its array too), leaving it empty. */
  takeFrom(other: PendingRecords): void {
    [this.times, other.times] = [other.times, this.times];
    this.count = other.count;
    other.count = 0;
  }
}

function newStageHistograms(): Record<LatencyStage, Hdr.Histogram> {
  return Object.fromEntries(latencyStages.map((s) => [s, newLatencyHistogram()])) as Record<LatencyStage, Hdr.Histogram>;
}

function record(h: Hdr.Histogram, ms: number): void {
  // Clock readings of different threads can disagree by a few µs: a negative span is 0 (and so
  // is NaN, the span of a record without a creation time, which only the unreported phase sees).
  const us = Math.round(ms * 1000);
  h.recordValue(us > 0 ? Math.min(3_600_000_000, us) : 0);
}

function encodeAndReset(h: Hdr.Histogram): string {
  const encoded = hdr().encodeIntoCompressedBase64(h);
  h.reset();
  return encoded;
}
