import { FrameKind } from '../../channel/layout.ts';
import type { ControlFrame } from '../../channel/frames.ts';
import type { StreamSignals } from './signals.ts';
import { assert } from '../../limits.ts';

/**
 * Checkpoint barrier alignment for one worker (continuous mode).
 *
 * Every operator of a job runs on every worker, chained in one thread, so the unit of alignment is
 * the worker, not the operator. When checkpoint c is requested the worker *injects* it: it notes
 * its sources' positions and stops reading them. Barrier c then goes into exchange e as soon as
 * every input that can write into e has passed c — this worker's sources, and every sender of
 * every earlier exchange (exchanges are numbered in topological order, so processing exchange
 * e' ≥ e never writes into e). A ring whose sender has delivered c is *held*: nothing after the
 * barrier is read from it until the worker has taken its snapshot. Once every ring of every
 * exchange has delivered c (or ended) and c has gone into every exchange, the worker's state
 * reflects exactly the records before the barriers — the consistent cut — and it snapshots.
 *
 * Why not per exchange: operators share one state store per worker, so a snapshot taken when
 * exchange e aligns would contain the effects of records the later exchanges received after their
 * barriers. Why this cannot deadlock: between injecting c and snapshotting, the worker writes no
 * record that follows a barrier (its sources are paused and its barrier-delivering inputs held),
 * so it never waits on a held ring; a worker that has completed c writes post-barrier records
 * again and may wait on a ring its receiver holds, but it has already sent everything anyone
 * waits for to complete c. Rings not yet held keep draining as before (exchanges.ts).
 */
export class BarrierAlignment {
  /** [exchange][sender]: the newest checkpoint whose barrier came from that sender. */
  private readonly receivedFrom: number[][];
  /** [exchange]: the newest checkpoint whose barrier this worker sent into it. */
  private readonly sent: number[];
  /**
   * [exchange]: 1 from barrier `injected` going into it until the snapshot. Nothing may enter the
   * exchange then: a record behind the barrier would be processed downstream after its snapshot,
   * while what made it (a buffer emptied, a timer gone) is in this worker's — a restore would lose
   * it. exchanges.ts asserts this for every record; a mapAsync feeding it holds its results
   * (async-operators.ts).
   */
  readonly sealed: Uint8Array;
  /** The checkpoint this worker has injected (its sources are paused until it completes). */
  injected = 0;
  /** The newest checkpoint this worker has snapshotted; rings holding later barriers are held. */
  completed = 0;
  private alignStartMs = 0;

  constructor(
    private readonly exchanges: number,
    private readonly senders: number,
    private readonly signals: StreamSignals,
  ) {
    this.receivedFrom = Array.from({ length: exchanges }, () => new Array<number>(senders).fill(0));
    this.sent = new Array<number>(exchanges).fill(0);
    this.sealed = new Uint8Array(exchanges);
  }

  /** A ring from `sender` of exchange e is not read while it has delivered a barrier this worker has not completed. */
  held(exchange: number, sender: number): boolean {
    return this.receivedFrom[exchange][sender] > this.completed;
  }

  received(exchange: number, sender: number, checkpointId: number): void {
    // A sender's barriers come in checkpoint order, one per checkpoint, and none after it ended.
    assert(checkpointId > this.receivedFrom[exchange][sender], `exchange ${exchange}: barrier ${checkpointId} from sender ${sender} after its barrier ${this.receivedFrom[exchange][sender]}`);
    assert(!this.signals.ended(exchange, sender), `exchange ${exchange}: barrier ${checkpointId} from sender ${sender} after its end-of-stream`);
    this.receivedFrom[exchange][sender] = checkpointId;
  }

  /** Sources stop reading between injecting a checkpoint and completing it. */
  get sourcesPaused(): boolean {
    return this.injected > this.completed;
  }

  inject(checkpointId: number, nowMs: number): void {
    // One checkpoint aligns at a time, and ids grow: a newer trigger waits for the last to complete.
    assert(this.injected === this.completed, `checkpoint ${checkpointId} injected while ${this.injected} is still aligning`);
    assert(checkpointId > this.completed, `checkpoint ${checkpointId} injected after ${this.completed} completed`);
    this.injected = checkpointId;
    this.alignStartMs = nowMs;
  }

  /** Sends barrier `injected` into every exchange whose inputs have all passed it (see the class comment). */
  propagate(nowMs: number, broadcast: (exchange: number, frame: ControlFrame) => boolean): void {
    const c = this.injected;
    if (c <= this.completed) return;
    for (let e = 0; e < this.exchanges; e++) {
      if (this.sent[e] < c && !this.signals.endedByMe(e)) {
        if (!broadcast(e, { kind: FrameKind.Barrier, checkpointId: c, timestampMs: nowMs })) return;
        this.sent[e] = c;
        this.sealed[e] = 1;
      }
      if (!this.delivered(e, c)) return;
    }
  }

  /** Every sender of exchange e has delivered barrier c or ended. */
  private delivered(e: number, c: number): boolean {
    for (let s = 0; s < this.senders; s++) if (this.receivedFrom[e][s] < c && !this.signals.ended(e, s)) return false;
    return true;
  }

  /** The injected checkpoint's cut is reached: barriers sent everywhere, every input aligned. */
  aligned(): boolean {
    const c = this.injected;
    if (c <= this.completed) return false;
    for (let e = 0; e < this.exchanges; e++) {
      if (this.sent[e] < c && !this.signals.endedByMe(e)) return false;
      if (!this.delivered(e, c)) return false;
    }
    return true;
  }

  /** Marks the injected checkpoint snapshotted: held rings and sources go on. Returns the alignment time. */
  complete(nowMs: number): number {
    assert(this.aligned(), `checkpoint ${this.injected} completed before it aligned`);
    this.completed = this.injected;
    this.sealed.fill(0);
    return nowMs - this.alignStartMs;
  }
}
