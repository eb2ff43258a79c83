/**
 * A worker's part of the micro-batch offset log (checkpoint/offset-log.ts): it counts what each of
 * the worker's source partitions reads in the current epoch and logs the ranges once the epoch's
 * reading is over. In an epoch being replayed it says how much more each source may read, and
 * checks that each ended where the log says it did.
 */
import type { JsonValue, SourceReader } from '../../connectors/types.ts';
import { WeirError } from '../../errors.ts';
import { writeEpochRanges, type EpochRange, type ReplayPlan } from '../../checkpoint/offset-log.ts';
import { toJson } from './worker-checkpoints.ts';

export interface RangedSource {
  operatorUid: string;
  partition: number;
  reader: SourceReader<unknown>;
}

export class EpochRanges {
  private epoch = 0;
  private readonly counts: number[];
  private starts: JsonValue[] = [];
  /** Per source, its logged range in the epoch being replayed; undefined when the epoch is not replayed. */
  private logged: Array<EpochRange | undefined> | undefined;
  private readonly plan: Map<number, EpochRange[]>;

  constructor(
    private readonly dir: string,
    private readonly worker: number,
    private readonly sources: RangedSource[],
    plan: ReplayPlan,
  ) {
    this.plan = new Map(plan.map((p) => [p.epoch, p.ranges]));
    this.counts = sources.map(() => 0);
  }

  /** The worker's sources start reading `epoch`. */
  begin(epoch: number): void {
    this.epoch = epoch;
    this.counts.fill(0);
    this.starts = this.sources.map((s) => toJson(s.reader.position(), s.operatorUid));
    const ranges = this.plan.get(epoch);
    this.plan.delete(epoch);
    // An epoch logged by other workers only: this worker's part was not logged, so none of it was
    // committed, and it is cut afresh.
    const mine = ranges && this.sources.map((s) => ranges.find((r) => r.operatorUid === s.operatorUid && r.partition === s.partition));
    this.logged = mine?.some((r) => r !== undefined) ? mine : undefined;
    // A log that does not start where the sources are (written by another run of this state
    // directory, from other data) is not this run's: its batches are cut afresh from here on.
    if (this.logged?.some((r, i) => r !== undefined && JSON.stringify(r.start) !== JSON.stringify(this.starts[i]))) {
      this.logged = undefined;
      this.plan.clear();
    }
  }

  get replaying(): boolean {
    return this.logged !== undefined;
  }

  /**
   * How many more records source `i` may read in this epoch: what is left of its logged range when
   * replaying (none for a source the log has no range of), else no limit.
   */
  remaining(i: number): number {
    if (!this.logged) return Number.POSITIVE_INFINITY;
    const range = this.logged[i];
    return range ? range.records - this.counts[i] : 0;
  }

  read(i: number, records: number): void {
    this.counts[i] += records;
  }

  /** Replaying: every source has read its logged range, or ended. */
  replayDone(ended: (i: number) => boolean): boolean {
    return this.sources.every((_, i) => ended(i) || this.remaining(i) <= 0);
  }

  /**
   * The epoch's reading is over. A new epoch's ranges are logged (durably, before the worker
   * signals the epoch's end); a replayed epoch must have ended where the log says, or the job
   * fails: its source no longer holds what it held. A stop cuts an epoch short: nothing is checked
   * or logged then (the final checkpoint holds the positions it stopped at).
   */
  end(stopped: boolean): void {
    if (stopped) return;
    const ranges: EpochRange[] = this.sources.map((s, i) => ({
      operatorUid: s.operatorUid,
      partition: s.partition,
      records: this.counts[i],
      start: this.starts[i],
      end: toJson(s.reader.position(), s.operatorUid),
    }));
    if (!this.logged) {
      writeEpochRanges(this.dir, this.epoch, this.worker, ranges);
      return;
    }
    for (const [i, range] of ranges.entries()) {
      const logged = this.logged[i];
      if (!logged || (logged.records === range.records && JSON.stringify(logged.end) === JSON.stringify(range.end))) continue;
      throw new WeirError(
        'WEIR_STATE',
        `source "${range.operatorUid}" partition ${range.partition} cannot replay epoch ${this.epoch} of the offset log: it read ${range.records} records and is at ` +
          `${JSON.stringify(range.end)}, where the log has ${logged.records} records ending at ${JSON.stringify(logged.end)} (did the source's data change? Removing the offset log's entries from this epoch on lets the job cut its batches afresh)`,
        { operator: range.operatorUid },
      );
    }
  }
}
