import type { LogicalNode } from '../../api/graph.ts';
import { END, type SourceContext, type SourceOutput, type SourceReader } from '../../connectors/types.ts';
import type { WeirError } from '../../errors.ts';
import { limits } from '../../limits.ts';
import { ownedPartitions, type Plan } from '../plan.ts';
import type { Deliver } from './chain.ts';
import type { WatermarkDeliver } from './watermarks.ts';
import { SourceTime } from './source-time.ts';
import { connectorError } from './worker-errors.ts';

/** One source partition this worker reads. */
export interface SourceSlot {
  node: LogicalNode & { kind: 'source' };
  partition: number;
  reader: SourceReader<unknown>;
  output: SourceOutput<unknown>;
  ended: boolean;
  /** The source node's event time on this worker, and this partition's index in it. */
  time: SourceTime;
  timeSlot: number;
}

/** What decides, each round, how much each source partition may read (worker.ts). */
export interface SourceGate {
  /** Records the sources may still read now (0: none — between epochs, or a checkpoint pausing them). */
  budget(): number;
  /** Of `budget`, what slot i may read (a replayed epoch's range, a full mapAsync's room). */
  allowed(i: number, budget: number): number;
  /** Slot i is too far ahead of its group's slowest partition (watermark alignment). */
  paused(i: number): boolean;
  /** Slot i has read `records` records. */
  read(i: number, records: number): void;
}

/** How the worker builds each partition's reader and output (worker.ts). */
export interface SourceOpening {
  ctx(partition: number): SourceContext;
  from(node: LogicalNode & { kind: 'source' }, partition: number): unknown;
  output(node: LogicalNode & { kind: 'source' }, partition: number, time: SourceTime, timeSlot: number): SourceOutput<unknown>;
  watermarkOutput(node: LogicalNode & { kind: 'source' }): WatermarkDeliver;
}

/** The source partitions one worker reads: opening, polling within a gate, their event time, closing. */
export class WorkerSources {
  readonly slots: SourceSlot[] = [];
  private readonly times: SourceTime[] = [];

  /** Opens the partitions of every source this worker owns (plan.ts: ownedPartitions). */
  static async open(plan: Plan, me: number, opening: SourceOpening, nowMs: number): Promise<WorkerSources> {
    const sources = new WorkerSources();
    for (const node of plan.sources) {
      const owned = ownedPartitions(node.spec.partitions(), plan.parallelism, me);
      const time = new SourceTime(node, owned, opening.watermarkOutput(node), nowMs);
      sources.times.push(time);
      for (const [timeSlot, partition] of owned.entries()) {
        const reader = await openSource(node, partition, opening.ctx(partition), opening.from(node, partition));
        const output = opening.output(node, partition, time, timeSlot);
        sources.slots.push({ node, partition, reader, output, ended: false, time, timeSlot });
      }
    }
    return sources;
  }

  readonly allEnded = (): boolean => this.slots.every((s) => s.ended);
  readonly ended = (i: number): boolean => this.slots[i].ended;

  /** Some slot that has not ended may read nothing now (it feeds a full mapAsync: `room(i)` ≤ 0). */
  anyBlocked(room: (i: number) => number): boolean {
    return this.slots.some((s, i) => !s.ended && room(i) <= 0);
  }

  /** The sources' watermarks and idleness follow the clock. */
  advance(nowMs: number): void {
    for (const time of this.times) time.advance(nowMs);
  }

  /**
   * One round of reading. `stopping` (stop()): every partition ends now and what was read drains
   * through. Returns whether anything changed, and whether every partition that may read was quiet.
   */
  async poll(gate: SourceGate, stopping: boolean, nowMs: number): Promise<{ progress: boolean; quiet: boolean }> {
    let progress = false;
    let quiet = true;
    for (const [i, s] of this.slots.entries()) {
      if (s.ended) continue;
      if (stopping) {
        this.end(s);
        progress = true;
        continue;
      }
      if (gate.paused(i)) {
        s.time.paused(s.timeSlot, nowMs);
        continue;
      }
      const budget = gate.budget();
      if (budget <= 0) break;
      const allowed = gate.allowed(i, budget);
      if (allowed <= 0) continue;
      let got = pollOne(s, allowed);
      if (typeof got !== 'number') got = await got;
      if (got === END) {
        this.end(s);
        progress = true;
      } else if (got > 0) {
        progress = true;
        quiet = false;
        gate.read(i, got);
      }
    }
    return { progress, quiet };
  }

  private end(s: SourceSlot): void {
    s.ended = true;
    s.time.ended(s.timeSlot);
  }

  /**
   * How long (ms) the sources expect to have nothing: a rate-limited generator knows exactly.
   * Undefined when nobody knows. A partition paused by alignment is looked at again after
   * `recheckMs`: nothing rings when the slowest partition (maybe on another worker) catches up.
   */
  dueMs(paused: (i: number) => boolean, recheckMs: number): number | undefined {
    let due: number | undefined;
    for (const [i, s] of this.slots.entries()) {
      if (s.ended) continue;
      if (paused(i)) {
        due = Math.min(due ?? limits.parkTimeoutMs, recheckMs);
        continue;
      }
      const idle = s.reader.idleMs?.();
      if (idle === undefined) return undefined;
      due = Math.min(due ?? limits.parkTimeoutMs, Math.max(0, idle));
    }
    return due;
  }

  /** Readers fed by the network on this thread (SourceReader.whenReady) that a park should wake for. */
  ioReaders(paused: (i: number) => boolean): Array<SourceReader<unknown>> {
    // A reader paused by alignment is left out: its records being ready must not end every park.
    return this.slots.filter((s, i) => !s.ended && !paused(i) && typeof s.reader.whenReady === 'function').map((s) => s.reader);
  }

  async close(): Promise<void> {
    for (const s of this.slots) await s.reader.close();
  }
}

/** A source's poll (synchronous when the source is); what it throws that is not weir's names the source and the partition. */
function pollOne(s: SourceSlot, max: number): number | Promise<number> {
  try {
    const got = s.reader.poll(max, s.output);
    return typeof got === 'number' ? got : got.catch((err: unknown) => Promise.reject(sourceFailed(s, err)));
  } catch (err) {
    throw sourceFailed(s, err);
  }
}

/** Opens one partition of a source; an error that is not weir's names the source and the partition. */
async function openSource(node: LogicalNode & { kind: 'source' }, partition: number, ctx: SourceContext, from: unknown): Promise<SourceReader<unknown>> {
  try {
    return await node.spec.open(partition, ctx, from);
  } catch (err) {
    throw connectorError(err, 'WEIR_SOURCE', `source "${node.name}" partition ${partition} could not open`, node.name);
  }
}

function sourceFailed(s: SourceSlot, err: unknown): WeirError {
  return connectorError(err, 'WEIR_SOURCE', `source "${s.node.name}" partition ${s.partition} failed`, s.node.name);
}
