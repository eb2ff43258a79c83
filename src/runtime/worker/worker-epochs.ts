/**
 * A worker's micro-batch epochs (Spark's batches): which epoch its sources read, when their
 * reading of it is over, and when the worker's whole part of it is complete — its sources, every
 * exchange, every sink — so that the epoch's end can be made durable and visible and reported to
 * the coordinator, which then starts the next (coordinator.ts).
 */
import { limits } from '../../limits.ts';
import type { EpochRanges } from './epoch-ranges.ts';
import { epochCompletedSlot, kEpochRequested, type SharedViews } from '../protocol.ts';
import type { InBandControl } from './in-band-control.ts';

export class WorkerEpochs {
  /** The epoch being processed (0 = none yet). */
  epoch: number;
  /** This worker's sources have read the current epoch (so also between epochs). */
  sourcesDone = true;
  private records = 0;
  /** With checkpoints: this worker's part of the offset log (epoch-ranges.ts). */
  ranges: EpochRanges | undefined;
  /**
   * The id of the last epoch this worker completed, for its metrics (ids go on from a restored
   * checkpoint's). The shared completion slot cannot tell: it holds a sentinel once the worker
   * takes part in no further epoch.
   */
  lastCompleted: number;

  constructor(
    private readonly me: number,
    private readonly views: SharedViews,
    private readonly control: InBandControl,
    private readonly recordsMax: number,
    /** Epochs go on from the restored checkpoint's (run.ts sets the shared epoch slots alike). */
    restoredEpoch: number,
  ) {
    this.epoch = restoredEpoch;
    this.lastCompleted = restoredEpoch;
  }

  /** How many records the sources may still read in this epoch (0 between epochs). */
  budget(): number {
    if (this.sourcesDone) return 0;
    return Math.min(limits.sourceBatchRecordsMax, this.recordsMax - this.records);
  }

  /** Of `budget`, what source `i` may read: a replayed epoch reads exactly its logged range. */
  allowed(i: number, budget: number): number {
    return Math.min(budget, this.ranges?.remaining(i) ?? budget);
  }

  read(i: number, records: number): void {
    this.records += records;
    this.ranges?.read(i, records);
  }

  /** Starts the epoch the coordinator requested once this worker's part of the previous one is complete. */
  maybeStart(allSourcesEnded: () => boolean): void {
    if (!this.sourcesDone || !this.complete()) return;
    const requested = Atomics.load(this.views.control, kEpochRequested);
    if (requested > this.epoch) {
      this.epoch = requested;
      this.sourcesDone = allSourcesEnded();
      this.records = 0;
      this.ranges?.begin(requested);
    }
  }

  /**
   * After a round of polls: ends the sources' reading of the epoch when it is over — the batch is
   * what was available at the trigger (every source quiet) or the record limit; a replayed epoch's
   * is its logged range. True when it just ended.
   */
  maybeEndReading(allQuiet: boolean, stopping: boolean, ended: (i: number) => boolean): boolean {
    if (this.sourcesDone) return false;
    const over = this.ranges?.replaying ? this.ranges.replayDone(ended) : allQuiet || this.records >= this.recordsMax;
    if (!over) return false;
    // Logged before the epoch's end is signalled downstream, so before anything of it is committed.
    this.ranges?.end(stopping);
    this.sourcesDone = true;
    return true;
  }

  /** The newest epoch the sources have read to its end, as signalled downstream (in-band-control.ts). */
  sourcesEpoch(): number {
    return Math.max(0, this.sourcesDone ? this.epoch : this.epoch - 1);
  }

  /** This worker's part of the current epoch is done: sources, every exchange, every sink. */
  private complete(): boolean {
    return this.sourcesDone && this.control.epochPassedEverywhere(this.epoch);
  }

  /**
   * Once this worker's part of the epoch is complete: `atEnd` makes the batch's state durable and
   * its output visible, then the epoch is marked completed for the coordinator.
   */
  async maybeComplete(atEnd: (epoch: number) => Promise<void>): Promise<void> {
    const slot = epochCompletedSlot(this.me);
    if (this.epoch === 0 || Atomics.load(this.views.control, slot) >= this.epoch || !this.complete()) return;
    await atEnd(this.epoch);
    Atomics.store(this.views.control, slot, this.epoch);
    this.lastCompleted = this.epoch;
    this.views.doorbells.ring(this.views.coordinatorId);
  }
}
