/**
 * The Nexmark generator as a weir source. Partition p of N generates event numbers p, p + N,
 * p + 2N, …: the partitions together are exactly the one-partition stream, and their event times
 * advance together (each partition's nominal times are increasing). The benchmark's own generators
 * split the id space into contiguous blocks on parallel timelines instead; interleaving keeps the
 * union equal to the single stream whatever N is, which is what lets a run on N partitions be
 * checked against one thread.
 *
 * Offsets are the partition's own event index k (event number p + kN); position() is the next k
 * and open(p, ctx, from) resumes there. Record timestamps are the event's dateTime. With a wall-clock
 * rate, event k of a partition is due at ctx.startMs + k × interval and stamped createdMs = that time
 * (open loop, as the plain generator).
 */
import { WeirError } from '../../errors.ts';
import { END, type SourceContext, type SourceOutput, type SourceReader, type SourceSpec } from '../types.ts';
import { nexmarkShareOf, resolveNexmarkOptions, type NexmarkConfig, type NexmarkOptions } from './config.ts';
import { NexmarkEventMaker } from './events.ts';
import { nexmarkEventTime, type NexmarkEvent } from './model.ts';
import { checkKnownKeys, type KeySet } from '../../util/known-keys.ts';

class NexmarkReader implements SourceReader<NexmarkEvent> {
  private next: number;
  private readonly end: number;
  private readonly maker: NexmarkEventMaker;

  constructor(
    private readonly c: NexmarkConfig,
    private readonly partition: number,
    private readonly ctx: SourceContext,
    from: unknown,
  ) {
    let start = 0;
    if (from !== undefined && from !== null) {
      if (typeof from !== 'number' || !Number.isSafeInteger(from) || from < 0) {
        throw new WeirError('WEIR_SOURCE', `nexmark: cannot resume partition ${partition} from position ${JSON.stringify(from)} (expected an event index)`, { partition });
      }
      start = from;
    }
    this.maker = new NexmarkEventMaker(c);
    this.end = nexmarkShareOf(c.count, c.partitions, partition);
    this.next = Math.min(start, this.end);
  }

  poll(max: number, out: SourceOutput<NexmarkEvent>): number {
    const first = this.next;
    if (first >= this.end) return END;
    const stop = this.end - first > max ? first + max : this.end;
    const { partitions, intervalMs } = this.c;
    const nowMs = this.ctx.nowMs();
    let k = first;
    for (; k < stop; k++) {
      let createdMs = nowMs;
      if (intervalMs > 0) {
        createdMs = this.ctx.startMs + k * intervalMs;
        if (createdMs > nowMs) break;
      }
      const e = this.maker.event(this.partition + k * partitions);
      out.emit(e, k, nexmarkEventTime(e), createdMs);
    }
    this.next = k;
    return k - first;
  }

  idleMs(): number {
    if (this.c.intervalMs === 0 || this.next >= this.end) return 0;
    const waitMs = this.ctx.startMs + this.next * this.c.intervalMs - this.ctx.nowMs();
    return waitMs > 0 ? waitMs : 0;
  }

  position(): number {
    return this.next;
  }

  close(): void {}
}

const nexmarkSourceKeys = { partitions: true, seed: true, count: true, eventsPerSec: true, baseTimeMs: true, ratePerSec: true, outOfOrderMaxMs: true, outOfOrderFraction: true, personProportion: true, auctionProportion: true, bidProportion: true, hotAuctionRatio: true, hotSellersRatio: true, hotBiddersRatio: true, inFlightAuctions: true, activePeople: true, avgPersonBytes: true, avgAuctionBytes: true, avgBidBytes: true } as const satisfies KeySet<NexmarkOptions>;

/** Nexmark events as a source (see the module comment and docs/nexmark.md). */
export function nexmarkSource(opts: NexmarkOptions = {}): SourceSpec<NexmarkEvent> {
  checkKnownKeys('nexmarkSource', opts, nexmarkSourceKeys);
  const c = resolveNexmarkOptions(opts);
  return {
    kind: 'nexmark',
    partitions: () => c.partitions,
    open: (partition, ctx, from) => {
      if (!Number.isInteger(partition) || partition < 0 || partition >= c.partitions) {
        throw new WeirError('WEIR_CONFIG', `nexmark: no partition ${partition} (${c.partitions} partitions)`);
      }
      return new NexmarkReader(c, partition, ctx, from);
    },
  };
}

/** Every event of a bounded generator in event-number order: the one-thread stream (tests, baselines). */
export function* nexmarkEvents(opts: NexmarkOptions): Generator<NexmarkEvent> {
  const c = resolveNexmarkOptions(opts);
  if (c.count === Infinity) throw new WeirError('WEIR_CONFIG', 'nexmark: nexmarkEvents needs a count');
  const maker = new NexmarkEventMaker(c);
  for (let n = 0; n < c.count; n++) yield maker.event(n);
}

/** Event number n as these options make it, on its own. */
export function nexmarkEvent(opts: NexmarkOptions, n: number): NexmarkEvent {
  if (!Number.isSafeInteger(n) || n < 0) throw new WeirError('WEIR_CONFIG', `nexmark: event number must be a non-negative integer, got ${n}`);
  return new NexmarkEventMaker(resolveNexmarkOptions(opts)).event(n);
}

/** Events partition `partition` generates (Infinity when unbounded). */
export function nexmarkPartitionCount(opts: NexmarkOptions, partition: number): number {
  const c = resolveNexmarkOptions(opts);
  return nexmarkShareOf(c.count, c.partitions, partition);
}
