import type { LogicalNode } from '../../api/graph.ts';
import { userFunctionError } from '../../errors.ts';
import { limits } from '../../limits.ts';
import { badTimestampReason, type WatermarkGenerator, type WatermarkStrategyOptions } from '../../time/watermarks.ts';
import { WatermarkCombiner, type WatermarkDeliver } from './watermarks.ts';

/** One source partition's event-time state on its worker. */
class PartitionTime {
  readonly generator: WatermarkGenerator<unknown> | undefined;
  /** Records since the last idleness check (cheaper than reading the clock per record). */
  sawRecords = false;
  lastRecordMs: number;
  ended = false;
  /** As of the last advance(): the partition's watermark (never decreasing) and idleness. */
  watermarkMs = Number.NEGATIVE_INFINITY;
  idle = false;
  /**
   * No record for the strategy's idleness timeout, or limits.idlenessMsDefault without one: such
   * a partition holds no other back under watermark alignment, even where it still holds the
   * job's watermark (a partition with nothing to read must not stop the others from reading).
   */
  silent = false;

  constructor(
    readonly partition: number,
    strategy: WatermarkStrategyOptions<unknown> | undefined,
    nowMs: number,
  ) {
    this.generator = strategy?.generator();
    this.lastRecordMs = nowMs;
  }
}

/**
 * Event time of one source node on one worker: timestamps for its records, a watermark per owned
 * partition, merged by minimum (Flink's per-split watermarks). A partition that has had no record
 * for the strategy's idleness timeout is idle and does not hold the watermark back; it rejoins with
 * its next record. A worker that owns no partition of the source is idle for it from the start
 * (as a Flink source subtask without splits), so it never blocks the job's watermark. A source
 * without a strategy has no watermark (−∞) until it ends; an ended partition's watermark is +∞.
 */
export class SourceTime {
  private readonly partitions: PartitionTime[] = [];
  private readonly combiner: WatermarkCombiner;
  private readonly strategy: WatermarkStrategyOptions<unknown> | undefined;
  /** The clock as last read for the check of timestamps in the future (−∞: not yet). */
  private nowMsSeen = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly node: LogicalNode & { kind: 'source' },
    ownedPartitions: number[],
    emit: WatermarkDeliver,
    nowMs: number,
  ) {
    this.strategy = node.watermarks?.options;
    for (const partition of ownedPartitions) this.partitions.push(new PartitionTime(partition, this.strategy, nowMs));
    this.combiner = new WatermarkCombiner(Math.max(1, ownedPartitions.length), emit);
    if (ownedPartitions.length === 0) this.combiner.update(0, Number.NEGATIVE_INFINITY, true);
  }

  get hasStrategy(): boolean {
    return this.strategy !== undefined;
  }

  /**
   * The event time of a record of partition slot `slot`, or a string saying why it has none
   * (the caller dead-letters it). Feeds the partition's watermark generator.
   */
  timestampOf(slot: number, value: unknown, sourceTimestampMs: number, clock: () => number, partition: number, offset: number): number | string {
    const strategy = this.strategy!;
    let timestampMs: unknown = sourceTimestampMs;
    if (strategy.timestampAssigner !== undefined) {
      try {
        timestampMs = strategy.timestampAssigner(value, sourceTimestampMs);
      } catch (e) {
        throw userFunctionError(e, `${this.node.name} (timestamp assigner)`, partition, offset);
      }
    }
    // The clock is read only for a timestamp past the limit as of its last reading: the limit only
    // moves on, so a timestamp within the old one is within the current one (a read per record
    // was 2 % of a worker reading JSON lines).
    if (!((timestampMs as number) <= this.nowMsSeen + strategy.futureMsMax)) this.nowMsSeen = clock();
    const bad = badTimestampReason(timestampMs, this.nowMsSeen, strategy.futureMsMax);
    if (bad !== undefined) return bad;
    const p = this.partitions[slot];
    p.sawRecords = true;
    try {
      p.generator!.onEvent(value, timestampMs as number);
    } catch (e) {
      throw userFunctionError(e, `${this.node.name} (watermark generator)`, partition, offset);
    }
    return timestampMs as number;
  }

  ended(slot: number): void {
    this.partitions[slot].ended = true;
  }

  /** Partition slot `slot` as of the last advance(), for watermark alignment. */
  partition(slot: number): { readonly watermarkMs: number; readonly silent: boolean; readonly ended: boolean } {
    return this.partitions[slot];
  }

  /**
   * Slot `slot` reads nothing because watermark alignment paused it: that silence is not
   * idleness (a paused partition is ahead, not quiet), so its idleness clock restarts.
   */
  paused(slot: number, nowMs: number): void {
    this.partitions[slot].lastRecordMs = nowMs;
  }

  /** Recomputes the source's watermark (once per loop round); emits downstream when it changes. */
  advance(nowMs: number): void {
    const idlenessMs = this.strategy?.idlenessMs;
    for (let slot = 0; slot < this.partitions.length; slot++) {
      const p = this.partitions[slot];
      if (p.ended) {
        this.combiner.update(slot, Number.POSITIVE_INFINITY, false);
        continue;
      }
      if (p.sawRecords) {
        p.sawRecords = false;
        p.lastRecordMs = nowMs;
      }
      p.idle = idlenessMs !== undefined && nowMs - p.lastRecordMs >= idlenessMs;
      p.silent = nowMs - p.lastRecordMs >= (idlenessMs ?? limits.idlenessMsDefault);
      const watermarkMs = this.watermarkOf(p);
      if (watermarkMs > p.watermarkMs) p.watermarkMs = watermarkMs;
      this.combiner.update(slot, p.watermarkMs, p.idle);
    }
  }

  private watermarkOf(p: PartitionTime): number {
    if (p.generator === undefined) return Number.NEGATIVE_INFINITY;
    try {
      return p.generator.currentWatermark();
    } catch (e) {
      throw userFunctionError(e, `${this.node.name} (watermark generator)`, p.partition, 'currentWatermark()');
    }
  }
}
