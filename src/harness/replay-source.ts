/**
 * Open-loop replay of a recorded input (`weir bench --replay`): any source — a JSON-lines file,
 * an embedded log, a Kafka topic — is read at a fixed offered rate, and each record is given its
 * *scheduled* creation time, as the generator does: record i of a partition is due at
 * `ctx.startMs + i / ratePerPartition`, and carries that time whatever the job is doing. A job that
 * stalls finds the records that came due meanwhile already late, so the latency stays corrected for
 * coordinated omission (docs/harness.md). The recording's own contents, event times included, are
 * passed on unchanged; only the creation time is the schedule's.
 *
 * A partition ends after `ratePerPartition × seconds` records (an unbounded source such as a Kafka
 * topic then ends too). A recording shorter than that is replayed again from its start, so that
 * every run offers the same number of records at its rate; its event times then repeat (a job with
 * event-time windows sees the second pass as late data: record enough for the longest run).
 */
import { END, type SourceContext, type SourceOutput, type SourceReader, type SourceSpec } from '../connectors/types.ts';

export interface ReplaySchedule {
  /** Records per second offered by each partition. */
  ratePerPartitionPerSec: number;
  /** How long the schedule runs: the partition ends after ratePerPartition × seconds records. */
  seconds: number;
}

/** The parameter through which `runBench` asks for a replay (JSON ReplayParam). */
export const replayParam = 'weir.replay';

export interface ReplayParam {
  /** Offered rate of the whole job, events/s, shared evenly by every partition of every source. */
  ratePerSec: number;
  seconds: number;
}

/** `spec` read at the schedule `schedule()` gives when a partition opens (open-loop, scheduled creation times). */
export function replaySource<T>(spec: SourceSpec<T>, schedule: () => ReplaySchedule): SourceSpec<T> {
  return {
    kind: spec.kind,
    partitions: () => spec.partitions(),
    open: async (partition, ctx, from) => new ReplayReader(await spec.open(partition, ctx, from), () => spec.open(partition, ctx), schedule(), ctx),
  };
}

class ReplayReader<T> implements SourceReader<T> {
  private next = 0;
  /** Records emitted by the current pass over the recording. */
  private emittedThisPass = 0;
  private readonly intervalMs: number;
  private readonly end: number;
  /** The inner reader's emits, restamped with the schedule. */
  private readonly restamp: SourceOutput<T>;
  private out: SourceOutput<T> | undefined;
  whenReady?: () => Promise<void>;

  constructor(
    private inner: SourceReader<T>,
    private readonly reopen: () => SourceReader<T> | Promise<SourceReader<T>>,
    schedule: ReplaySchedule,
    private readonly ctx: SourceContext,
  ) {
    this.intervalMs = 1000 / schedule.ratePerPartitionPerSec;
    this.end = Math.round(schedule.ratePerPartitionPerSec * schedule.seconds);
    this.restamp = {
      emit: (value, offset, timestampMs) => {
        this.emittedThisPass++;
        this.out!.emit(value, offset, timestampMs, this.ctx.startMs + this.next++ * this.intervalMs);
      },
      deadLetter: (raw, reason, offset) => this.out!.deadLetter(raw, reason, offset),
      skip: (offset) => this.out!.skip?.(offset),
    };
    // Only a reader fed by network I/O has whenReady (the worker then keeps its event loop turning).
    if (inner.whenReady) {
      this.whenReady = () => {
        const waitMs = this.waitMs();
        return waitMs > 0 ? new Promise((resolve) => setTimeout(resolve, waitMs)) : this.inner.whenReady!();
      };
    }
  }

  poll(max: number, out: SourceOutput<T>): number | Promise<number> {
    if (this.next >= this.end) return END;
    const dueNow = Math.floor((this.ctx.nowMs() - this.ctx.startMs) / this.intervalMs) + 1;
    const due = Math.min(max, Math.min(dueNow, this.end) - this.next);
    if (due <= 0) return 0;
    this.out = out;
    const polled = this.inner.poll(due, this.restamp);
    return typeof polled === 'number' ? this.passEnded(polled) : polled.then((n) => this.passEnded(n));
  }

  /** The recording ended before the schedule: start it again (a recording that held nothing ends the partition). */
  private passEnded(polled: number): number | Promise<number> {
    if (polled !== END) return polled;
    if (this.emittedThisPass === 0) return END;
    this.emittedThisPass = 0;
    const closing = this.inner.close();
    return Promise.resolve(closing).then(async () => {
      this.inner = await this.reopen();
      return 0;
    });
  }

  /** Ms until the next record is due; when one is due, what the recording says (undefined: unknown). */
  idleMs(): number | undefined {
    if (this.next >= this.end) return 0;
    const waitMs = this.waitMs();
    return waitMs > 0 ? waitMs : this.inner.idleMs?.();
  }

  private waitMs(): number {
    return this.ctx.startMs + this.next * this.intervalMs - this.ctx.nowMs();
  }

  position(): unknown {
    return this.inner.position();
  }

  commitPosition(position: unknown): void | Promise<void> {
    return this.inner.commitPosition?.(position);
  }

  lag(): number {
    return this.inner.lag?.() ?? Number.NaN;
  }

  close(): void | Promise<void> {
    return this.inner.close();
  }
}
