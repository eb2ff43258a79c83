import { backoffMs, type AsyncMapFunction } from '../../api/async-options.ts';
import type { AsyncSettings, ErrorPolicy, LogicalNode } from '../../api/graph.ts';
import type { OperatorInfo } from '../../functions/contracts.ts';
import { userFunctionError, WeirError } from '../../errors.ts';
import type { StateStore } from '../../state/store.ts';
import type { DeadLetterPosition, Deliver, OperatorCounters, RecordPosition } from './chain.ts';
import { operatorUid } from '../plan.ts';
import type { WatermarkDeliver } from './watermarks.ts';

const enum Phase {
  /** Taken in, not issued yet: the operator had `capacity` requests in flight. */
  Waiting,
  /** Issued (an attempt is running, or waiting for its backoff). */
  Running,
  Done,
  Failed,
}

interface Entry {
  value: unknown;
  timestampMs: number;
  createdMs: number;
  partition: number;
  offset: number;
  phase: Phase;
  /** Attempts started; a settlement of an earlier attempt (timed out) is ignored. */
  attempt: number;
  result: unknown;
  error: WeirError | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Unordered mode: the watermark segment it arrived in. */
  segment: Segment | undefined;
}

/** A watermark status waiting behind records still in flight. */
interface Mark {
  watermarkMs: number;
  idle: boolean;
}

/** Unordered mode: the records between two watermarks (Flink's unordered queue segments). */
interface Segment {
  pending: number;
  done: Entry[];
  /** The watermark that closes it; undefined for the newest. */
  mark: Mark | undefined;
}

/** What the worker lends a mapAsync operator. */
export interface AsyncOperatorParts {
  next: Deliver;
  watermarkNext: WatermarkDeliver;
  counters: OperatorCounters;
  position: RecordPosition;
  policy: ErrorPolicy;
  deadLetter(reason: string, value: unknown, stack: string | undefined, at: DeadLetterPosition): void;
  stateStore(): StateStore;
  /** Where this worker keeps its in-flight records in checkpoints (its first key group). */
  keyGroup: number;
  subtask: number;
}

/** Stored form of a record in flight: [value, timestampMs, createdMs, partition, offset]. */
type StoredEntry = [unknown, number, number, number, number];

/**
 * One mapAsync operator on one worker (Flink's AsyncWaitOperator). Records are taken in by the
 * chain (`add`), their requests issued at once while fewer than `capacity` are in flight; results
 * settle on the thread's event loop, where only the entry is marked, and go downstream when the
 * worker loop calls `drain` — so emission happens where every other operator runs, with the
 * record's source position set, never from a promise callback in the middle of another record.
 *
 * Watermarks never overtake a record in flight: ordered, a watermark waits in the queue behind
 * every earlier record; unordered, records between two watermarks may be emitted in any order,
 * but a watermark goes only when every record before it has, and no record after it goes before it.
 *
 * Memory is bounded: the worker takes no input while `room()` is 0 (worker.ts), so what waits
 * beyond `capacity` is at most what one source poll or one exchange drain had already taken in.
 */
export class AsyncOperator {
  private readonly settings: AsyncSettings;
  private readonly fn: AsyncMapFunction<unknown, unknown>;
  private closed = false;
  /** Every record taken in and not yet emitted, in arrival order (checkpoints store them). */
  private readonly open = new Set<Entry>();
  private readonly waiting: Entry[] = [];
  /** Ordered mode: records and watermarks in arrival order. */
  private readonly queue: Array<Entry | Mark> = [];
  /** Unordered mode. */
  private readonly segments: Segment[] = [];
  private settled = 0;
  private fatal: WeirError | undefined;
  private wake: (() => void) | undefined;
  private readonly stateId: string;
  /** Most requests in flight at once so far (metrics, tests). */
  inFlightMax = 0;

  constructor(
    private readonly node: LogicalNode & { kind: 'mapAsync' },
    private readonly parts: AsyncOperatorParts,
  ) {
    this.settings = node.async;
    this.fn = node.fn;
    this.stateId = `${operatorUid(node)}/__in-flight`;
  }

  get name(): string {
    return this.node.name;
  }

  get nodeId(): number {
    return this.node.id;
  }

  /** How many more records it can take before the worker must stop taking input (≤ 0: none). */
  room(): number {
    return this.settings.capacity - this.open.size;
  }

  /** Requests issued and not yet emitted. */
  inFlight(): number {
    return this.open.size - this.waiting.length;
  }

  /** Nothing held: every record taken in has been emitted (or dead-lettered), every watermark passed on. */
  idle(): boolean {
    return this.open.size === 0 && this.queue.length === 0 && (this.segments.length === 0 || (this.segments.length === 1 && this.segments[0].mark === undefined && this.segments[0].done.length === 0));
  }

  /** A request settled since the last drain: the worker has something to emit. */
  hasNews(): boolean {
    return this.settled > 0 || this.fatal !== undefined;
  }

  /** Resolves at the next settlement (a parked worker wakes on it). */
  whenNews(): Promise<void> {
    if (this.hasNews()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const previous = this.wake;
      this.wake = () => {
        previous?.();
        resolve();
      };
    });
  }

  /** A record from upstream (the chain's deliver). */
  add(value: unknown, timestampMs: number, createdMs: number): void {
    this.parts.counters.recordsIn++;
    const { partition, offset } = this.parts.position;
    const entry: Entry = { value, timestampMs, createdMs, partition, offset, phase: Phase.Waiting, attempt: 0, result: undefined, error: undefined, timer: undefined, segment: undefined };
    const issueNow = this.waiting.length === 0 && this.inFlight() < this.settings.capacity;
    this.open.add(entry);
    if (this.settings.ordered) this.queue.push(entry);
    else {
      const segment = this.currentSegment();
      segment.pending++;
      entry.segment = segment;
    }
    if (issueNow) this.issue(entry);
    else this.waiting.push(entry);
  }

  /** A watermark status from upstream: passed on at once when nothing is held, else queued behind the records. */
  onWatermark(watermarkMs: number, idle: boolean): void {
    if (this.idle()) {
      this.parts.watermarkNext(watermarkMs, idle);
      return;
    }
    const mark: Mark = { watermarkMs, idle };
    if (this.settings.ordered) {
      // Only the newest of consecutive watermarks matters.
      const last = this.queue[this.queue.length - 1];
      if (last !== undefined && !('phase' in last)) this.queue[this.queue.length - 1] = mark;
      else this.queue.push(mark);
      return;
    }
    const segment = this.currentSegment();
    if (segment.pending === 0 && segment.done.length === 0 && this.segments.length > 1) {
      // Nothing since the previous watermark: this one replaces it.
      this.segments[this.segments.length - 2].mark = mark;
      return;
    }
    segment.mark = mark;
    this.segments.push({ pending: 0, done: [], mark: undefined });
  }

  /**
   * Emits what may go downstream now (results, dead letters, watermarks) and issues waiting
   * records into the room that frees. Under onError 'fail' a request that failed for good fails
   * the job here. True when anything was emitted.
   */
  drain(): boolean {
    if (this.fatal !== undefined) throw this.fatal;
    this.settled = 0;
    let progress = false;
    if (this.settings.ordered) {
      while (this.queue.length > 0) {
        const head = this.queue[0];
        if ('phase' in head) {
          if (head.phase !== Phase.Done && head.phase !== Phase.Failed) break;
          this.queue.shift();
          this.finish(head);
        } else {
          this.queue.shift();
          this.parts.watermarkNext(head.watermarkMs, head.idle);
        }
        progress = true;
      }
    } else {
      while (this.segments.length > 0) {
        const segment = this.segments[0];
        while (segment.done.length > 0) {
          this.finish(segment.done.shift()!);
          progress = true;
        }
        if (segment.pending > 0 || segment.mark === undefined) break;
        this.segments.shift();
        this.parts.watermarkNext(segment.mark.watermarkMs, segment.mark.idle);
        progress = true;
      }
    }
    while (this.waiting.length > 0 && this.inFlight() < this.settings.capacity) this.issue(this.waiting.shift()!);
    return progress;
  }

  /**
   * At a checkpoint's cut: the records taken in and not yet emitted go into the state store (one
   * entry for this worker), so that a restore issues their requests again.
   */
  snapshotInFlight(): void {
    const store = this.parts.stateStore();
    if (this.open.size === 0) {
      store.delete(this.stateId, this.parts.keyGroup, this.parts.subtask, '');
      return;
    }
    const stored: StoredEntry[] = [];
    for (const e of this.open) stored.push([e.value, e.timestampMs, e.createdMs, e.partition, e.offset]);
    store.put(this.stateId, this.parts.keyGroup, this.parts.subtask, '', stored);
  }

  /** After a restore: issues again the requests that were in flight at the checkpoint (of every old worker whose key group this one now owns). */
  reissueRestored(): void {
    const store = this.parts.stateStore();
    const found = [...store.entries(this.stateId)];
    const position = this.parts.position;
    for (const entry of found) {
      for (const [value, timestampMs, createdMs, partition, offset] of entry.value as StoredEntry[]) {
        position.partition = partition;
        position.offset = offset;
        this.add(value, timestampMs, createdMs);
      }
      store.delete(this.stateId, entry.keyGroup, entry.key, entry.namespace);
    }
  }

  /** The user function's open(), before the first record. */
  openFunction(info: OperatorInfo): void {
    this.fn.open?.(info);
  }

  /**
   * The worker's part of the job ended, normally or after a failure: no timeout fires any more, and
   * the user function's close() runs (once) so what its open() made does not outlive the job.
   */
  close(): void {
    for (const e of this.open) if (e.timer !== undefined) clearTimeout(e.timer);
    if (this.closed) return;
    this.closed = true;
    this.fn.close?.();
  }

  private currentSegment(): Segment {
    if (this.segments.length === 0) this.segments.push({ pending: 0, done: [], mark: undefined });
    return this.segments[this.segments.length - 1];
  }

  private issue(entry: Entry): void {
    entry.phase = Phase.Running;
    const inFlight = this.inFlight();
    if (inFlight > this.inFlightMax) this.inFlightMax = inFlight;
    this.attempt(entry);
  }

  private attempt(entry: Entry): void {
    const attempt = ++entry.attempt;
    let promise: PromiseLike<unknown>;
    try {
      const out = this.fn.map(entry.value);
      promise = typeof out === 'object' && out !== null && typeof (out as PromiseLike<unknown>).then === 'function' ? (out as PromiseLike<unknown>) : Promise.resolve(out);
    } catch (err) {
      promise = Promise.reject(err);
    }
    const { timeoutMs } = this.settings;
    if (timeoutMs !== Number.POSITIVE_INFINITY) {
      entry.timer = setTimeout(() => {
        if (entry.attempt !== attempt || entry.phase !== Phase.Running) return;
        entry.timer = undefined;
        this.attemptFailed(entry, undefined);
      }, timeoutMs);
    }
    promise.then(
      (result) => {
        if (entry.attempt !== attempt || entry.phase !== Phase.Running) return;
        this.clearTimer(entry);
        entry.result = result;
        this.settle(entry, Phase.Done);
      },
      (err: unknown) => {
        if (entry.attempt !== attempt || entry.phase !== Phase.Running) return;
        this.clearTimer(entry);
        this.attemptFailed(entry, err);
      },
    );
  }

  /** An attempt failed (`cause`) or timed out (cause undefined): try again after the backoff, or fail the record. */
  private attemptFailed(entry: Entry, cause: unknown): void {
    const timedOut = cause === undefined;
    if (entry.attempt < this.settings.attempts) {
      entry.timer = setTimeout(() => {
        entry.timer = undefined;
        if (entry.phase === Phase.Running) this.attempt(entry);
      }, backoffMs(this.settings, entry.attempt));
      return;
    }
    const name = this.node.name;
    const tries = this.settings.attempts === 1 ? '' : ` (${entry.attempt} attempts)`;
    entry.error = timedOut
      ? new WeirError('WEIR_ASYNC_TIMEOUT', `operator "${name}": the request for the record from source partition ${entry.partition} at offset ${entry.offset} did not settle within ${this.settings.timeoutMs} ms${tries}`, {
          operator: name,
          partition: entry.partition,
          offset: entry.offset,
        })
      : userFunctionError(cause, name, entry.partition, entry.offset);
    if (!timedOut && tries !== '') entry.error.message += tries;
    if (this.parts.policy === 'fail') this.fatal ??= entry.error;
    this.settle(entry, Phase.Failed);
  }

  private settle(entry: Entry, phase: Phase): void {
    entry.phase = phase;
    if (entry.segment !== undefined) {
      entry.segment.pending--;
      entry.segment.done.push(entry);
    }
    this.settled++;
    const wake = this.wake;
    if (wake !== undefined) {
      this.wake = undefined;
      wake();
    }
  }

  private clearTimer(entry: Entry): void {
    if (entry.timer !== undefined) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
    }
  }

  /** The record's turn: its result downstream (at its source position), or its failure to the dead letters. */
  private finish(entry: Entry): void {
    this.open.delete(entry);
    const position = this.parts.position;
    const { partition, offset } = position;
    position.partition = entry.partition;
    position.offset = entry.offset;
    try {
      if (entry.phase === Phase.Done) {
        this.parts.counters.recordsOut++;
        this.parts.next(entry.result, entry.timestampMs, entry.createdMs);
      } else {
        const err = entry.error!;
        this.parts.counters.deadLetters++;
        this.parts.deadLetter(err.message, entry.value, err.stack, { partition: entry.partition, offset: entry.offset });
      }
    } finally {
      position.partition = partition;
      position.offset = offset;
    }
  }
}
