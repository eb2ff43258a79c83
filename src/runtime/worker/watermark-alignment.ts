/**
 * Watermark alignment (Flink's withWatermarkAlignment): bounded event-time skew between source
 * partitions. Every worker publishes its partitions' watermarks and statuses in shared memory
 * (protocol.ts, kPartition…) each loop round, and reads those of every partition of the groups it
 * reads from — the group minimum is computed by each worker from the slots, no thread in between.
 * A partition whose watermark is more than the group's drift ahead of the group's slowest
 * partition reads nothing until it is not. The slowest is never paused (it is the minimum), so
 * some partition can always read: alignment cannot deadlock a job. Ended partitions and idle ones
 * do not count in the minimum; for alignment a partition is idle after the strategy's idleness
 * timeout without a record, or limits.idlenessMsDefault when the strategy sets none — a partition
 * with nothing to read must not stop the others. A partition without a record yet (watermark −∞)
 * counts until then: at the start the others wait for it that long, so that a partition opened a
 * little later, or on a busier worker, does not start far behind.
 */
import type { LogicalNode } from '../../api/graph.ts';
import { limits } from '../../limits.ts';
import type { WatermarkAlignmentMetrics } from '../metrics.ts';
import type { Plan } from '../plan.ts';
import { kPartitionActive, kPartitionEnded, kPartitionIdle, kPartitionSlots, kPartitionStatus, kPartitionWatermark, type SharedViews } from '../protocol.ts';
import type { SourceTime } from './source-time.ts';

export interface PartitionState {
  watermarkMs: number;
  idle: boolean;
  ended: boolean;
}

export interface AlignmentDecision {
  /** The slowest counted partition's watermark (−∞ while it has none; +∞ when none counts: nobody is held back). */
  minMs: number;
  /** max − min over the counted partitions that have a watermark (0 with fewer than two). */
  driftMs: number;
  /** Per partition, in input order: may it read? */
  mayRead: boolean[];
}

/** Counts in the group's minimum: neither idle nor ended. */
function counts(p: PartitionState): boolean {
  return !p.idle && !p.ended;
}

/** The alignment decision for one group: which partitions may read, given their states and the drift allowed. */
export function alignmentDecision(partitions: readonly PartitionState[], maxDriftMs: number): AlignmentDecision {
  let minMs = Number.POSITIVE_INFINITY;
  // The drift is measured between partitions that have a watermark.
  let minKnownMs = Number.POSITIVE_INFINITY;
  let maxMs = Number.NEGATIVE_INFINITY;
  for (const p of partitions) {
    if (!counts(p)) continue;
    if (p.watermarkMs < minMs) minMs = p.watermarkMs;
    if (p.watermarkMs === Number.NEGATIVE_INFINITY) continue;
    if (p.watermarkMs < minKnownMs) minKnownMs = p.watermarkMs;
    if (p.watermarkMs > maxMs) maxMs = p.watermarkMs;
  }
  const driftMs = maxMs > minKnownMs ? maxMs - minKnownMs : 0;
  // An idle partition ahead of the others pauses too: records it gets would only add to the skew.
  const mayRead = partitions.map((p) => p.ended || !(p.watermarkMs > minMs + maxDriftMs));
  return { minMs, driftMs, mayRead };
}

export interface AlignmentGroup {
  /** As users see it: the group given to withWatermarkAlignment, or the source's name by default. */
  name: string;
  maxDriftMs: number;
  updateIntervalMs: number;
  /** Global partition indices (partitionIndex) of every partition of the group's sources. */
  partitions: number[];
}

/** Numbers every partition of every source of the plan, in plan order: the index of its shared slots. */
export function partitionIndex(plan: Plan, sourceIndex: number, partition: number): number {
  let base = 0;
  for (let i = 0; i < sourceIndex; i++) base += plan.sources[i].spec.partitions();
  return base + partition;
}

/**
 * The plan's alignment groups, and for each source the group it aligns in (−1: none, the source
 * has no watermarks). A source whose alignment is turned off is a group of its own with an
 * unbounded drift: it never pauses, and the metric still shows how far apart its partitions are.
 */
export function alignmentGroups(plan: Plan): { groups: AlignmentGroup[]; groupOfSource: number[] } {
  const groups: AlignmentGroup[] = [];
  const byKey = new Map<string, number>();
  const groupOfSource = plan.sources.map((node, sourceIndex) => {
    const options = sourceAlignment(node);
    if (options === undefined) return -1;
    // A source's default group is its own: keyed apart from groups users name.
    const key = options.group === undefined ? `source ${node.id}` : `group ${options.group}`;
    let g = byKey.get(key);
    if (g === undefined) {
      g = groups.length;
      byKey.set(key, g);
      groups.push({ name: options.group ?? node.name, maxDriftMs: options.maxDriftMs, updateIntervalMs: options.updateIntervalMs, partitions: [] });
    }
    const group = groups[g];
    // Sources of one group that were given different bounds: the tightest holds.
    group.maxDriftMs = Math.min(group.maxDriftMs, options.maxDriftMs);
    group.updateIntervalMs = Math.min(group.updateIntervalMs, options.updateIntervalMs);
    for (let p = 0; p < node.spec.partitions(); p++) group.partitions.push(partitionIndex(plan, sourceIndex, p));
    return g;
  });
  return { groups, groupOfSource };
}

/** A source's alignment: undefined without watermarks. */
function sourceAlignment(node: LogicalNode & { kind: 'source' }): { group: string | undefined; maxDriftMs: number; updateIntervalMs: number } | undefined {
  const options = node.watermarks?.options;
  if (options === undefined) return undefined;
  if (options.alignment === null) return { group: undefined, maxDriftMs: Number.POSITIVE_INFINITY, updateIntervalMs: limits.parkTimeoutMs };
  return options.alignment ?? { group: undefined, maxDriftMs: limits.watermarkAlignmentDriftMsDefault, updateIntervalMs: limits.watermarkAlignmentUpdateIntervalMs };
}

/** The state of partition `index` as its owner last published it. */
export function readPartitionState(views: SharedViews, index: number): PartitionState {
  const slots = views.partitionWatermarks;
  const status = slots[index * kPartitionSlots + kPartitionStatus];
  return { watermarkMs: slots[index * kPartitionSlots + kPartitionWatermark], idle: status === kPartitionIdle, ended: status === kPartitionEnded };
}

export interface OwnedPartition {
  sourceIndex: number;
  partition: number;
  time: SourceTime;
  timeSlot: number;
}

/** One worker's part: publishes its partitions' watermarks and decides which of them may read. */
export class WorkerAlignment {
  private readonly groups: AlignmentGroup[];
  private readonly index: number[];
  private readonly groupOf: number[];
  private readonly mayRead: boolean[];
  /** Groups this worker reads a partition of. */
  private readonly ownGroups: number[];

  constructor(
    plan: Plan,
    private readonly views: SharedViews,
    private readonly owned: readonly OwnedPartition[],
  ) {
    const { groups, groupOfSource } = alignmentGroups(plan);
    this.groups = groups;
    this.index = owned.map((o) => partitionIndex(plan, o.sourceIndex, o.partition));
    this.groupOf = owned.map((o) => groupOfSource[o.sourceIndex]);
    this.mayRead = owned.map(() => true);
    this.ownGroups = [...new Set(this.groupOf.filter((g) => g >= 0 && Number.isFinite(groups[g].maxDriftMs)))];
  }

  /** Owned partition `i` (in construction order) is held back by alignment. */
  paused(i: number): boolean {
    return !this.mayRead[i];
  }

  /** How long a worker whose partitions are all paused waits before it looks again. */
  get recheckMs(): number {
    let ms: number = limits.parkTimeoutMs;
    for (const g of this.ownGroups) ms = Math.min(ms, this.groups[g].updateIntervalMs);
    return ms;
  }

  /** After the sources' watermarks advanced (once per loop round): publish, then decide. */
  update(replaying: boolean): void {
    const slots = this.views.partitionWatermarks;
    for (let i = 0; i < this.owned.length; i++) {
      const o = this.owned[i];
      const p = o.time.partition(o.timeSlot);
      const base = this.index[i] * kPartitionSlots;
      slots[base + kPartitionWatermark] = p.watermarkMs;
      slots[base + kPartitionStatus] = p.ended ? kPartitionEnded : p.silent ? kPartitionIdle : kPartitionActive;
    }
    // A replayed micro-batch epoch reads exactly its logged range, which was aligned when it was read.
    if (replaying || this.ownGroups.length === 0) {
      this.mayRead.fill(true);
      return;
    }
    for (const g of this.ownGroups) {
      const group = this.groups[g];
      const minMs = groupMinMs(slots, group.partitions);
      for (let i = 0; i < this.owned.length; i++) {
        if (this.groupOf[i] !== g) continue;
        const p = this.owned[i].time.partition(this.owned[i].timeSlot);
        this.mayRead[i] = p.ended || !(p.watermarkMs > minMs + group.maxDriftMs);
      }
    }
  }
}

/** alignmentDecision's minimum, straight from the shared slots (every loop round: no allocation). */
function groupMinMs(slots: Float64Array, partitions: readonly number[]): number {
  let minMs = Number.POSITIVE_INFINITY;
  for (const index of partitions) {
    if (slots[index * kPartitionSlots + kPartitionStatus] !== kPartitionActive) continue;
    const watermarkMs = slots[index * kPartitionSlots + kPartitionWatermark];
    if (watermarkMs < minMs) minMs = watermarkMs;
  }
  return minMs;
}

/** The metric: per alignment group, the current drift and which partitions are paused. */
export function readAlignmentMetrics(plan: Plan, views: SharedViews): WatermarkAlignmentMetrics[] {
  const { groups } = alignmentGroups(plan);
  const names: Array<{ source: string; partition: number }> = [];
  for (const node of plan.sources) for (let p = 0; p < node.spec.partitions(); p++) names.push({ source: node.name, partition: p });
  return groups.map((group) => {
    const { driftMs, mayRead } = alignmentDecision(group.partitions.map((index) => readPartitionState(views, index)), group.maxDriftMs);
    return { group: group.name, maxDriftMs: group.maxDriftMs, driftMs, pausedPartitions: group.partitions.filter((_, i) => !mayRead[i]).map((index) => names[index]) };
  });
}
