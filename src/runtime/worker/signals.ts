import { FrameKind } from '../../channel/layout.ts';
import type { ControlFrame } from '../../channel/frames.ts';
import { assert } from '../../limits.ts';

/**
 * End-of-stream and micro-batch epoch ends travel in-band, through every exchange, like
 * records. This tracks, for one worker, what each sender of each exchange has signalled and what
 * this worker has signalled downstream.
 *
 * The rule: a signal goes into exchange e once everything upstream of e has given it — this
 * worker's sources, and every sender of every earlier exchange (exchanges are numbered in
 * topological order, so "earlier" is "upstream"). A sender that has ended counts as having ended
 * every later epoch too.
 */
export class StreamSignals {
  /** [exchange][sender]: has it sent end-of-stream; the newest epoch it has ended. */
  private readonly endedFrom: boolean[][];
  private readonly epochFrom: number[][];
  /** [exchange]: has this worker sent end-of-stream; the newest epoch end it has sent. */
  private readonly endSent: boolean[];
  private readonly epochSent: number[];

  constructor(
    private readonly exchanges: number,
    private readonly senders: number,
    private readonly me: number,
  ) {
    this.endedFrom = grid(exchanges, senders, () => false);
    this.epochFrom = grid(exchanges, senders, () => 0);
    this.endSent = Array.from({ length: exchanges }, () => false);
    this.epochSent = Array.from({ length: exchanges }, () => 0);
  }

  receivedEnd(exchange: number, sender: number): void {
    assert(!this.endedFrom[exchange][sender], `exchange ${exchange}: sender ${sender} ended it twice`);
    this.endedFrom[exchange][sender] = true;
  }

  receivedEpochEnd(exchange: number, sender: number, epoch: number): void {
    // Epoch ends come in order, each once. A sender may still end epochs after its end-of-stream
    // (its sources' epoch count goes on); harmless, since an ended sender counts as having ended
    // every later epoch anyway.
    assert(epoch > this.epochFrom[exchange][sender], `exchange ${exchange}: epoch ${epoch} ended by sender ${sender} after epoch ${this.epochFrom[exchange][sender]}`);
    this.epochFrom[exchange][sender] = epoch;
  }

  /** Has `sender` ended exchange e (it sends nothing more into it, barriers included)? */
  ended(exchange: number, sender: number): boolean {
    return this.endedFrom[exchange][sender];
  }

  /** Has this worker ended exchange e? */
  endedByMe(exchange: number): boolean {
    return this.endSent[exchange];
  }

  allEnded(exchange: number): boolean {
    return this.endedFrom[exchange].every(Boolean);
  }

  /** Every exchange has been ended by every sender and by this worker. */
  allExchangesEnded(): boolean {
    for (let e = 0; e < this.exchanges; e++) if (!this.endSent[e] || !this.allEnded(e)) return false;
    return true;
  }

  /** Every exchange has carried epoch `epoch`'s end from every sender, and from this worker. */
  epochPassedEverywhere(epoch: number): boolean {
    for (let e = 0; e < this.exchanges; e++) {
      if (this.epochSent[e] < epoch) return false;
      for (let s = 0; s < this.senders; s++) if (!this.endedFrom[e][s] && this.epochFrom[e][s] < epoch) return false;
    }
    return true;
  }

  /** Could propagate() send anything: an epoch end the sources have finished, or the end of the stream? */
  maySend(sourcesEnded: boolean, sourcesEpoch: number): boolean {
    for (let e = 0; e < this.exchanges; e++) if (sourcesEpoch > this.epochSent[e] || (sourcesEnded && !this.endSent[e])) return true;
    return false;
  }

  /**
   * Sends what can be sent. `sourcesEnded`: this worker's sources have all ended; `sourcesEpoch`:
   * the newest epoch whose batch its sources have finished (0 in continuous mode);
   * `broadcast` writes a control frame into every ring of an exchange, all or nothing, and says
   * whether it could (a full ring: retried on the next round).
   */
  propagate(sourcesEnded: boolean, sourcesEpoch: number, currentEpoch: number, broadcast: (exchange: number, frame: ControlFrame) => boolean): void {
    let upstreamEnded = sourcesEnded;
    let upstreamEpoch = sourcesEpoch;
    for (let e = 0; e < this.exchanges; e++) {
      if (upstreamEpoch > this.epochSent[e] && broadcast(e, { kind: FrameKind.EpochEnd, epoch: upstreamEpoch })) {
        this.epochSent[e] = upstreamEpoch;
      }
      // End-of-stream only after the current epoch's end, so a receiver never misses that epoch.
      if (upstreamEnded && !this.endSent[e] && this.epochSent[e] >= currentEpoch && broadcast(e, { kind: FrameKind.EndOfStream, partition: this.me })) {
        this.endSent[e] = true;
      }
      upstreamEnded = upstreamEnded && this.allEnded(e);
      for (let s = 0; s < this.senders; s++) if (!this.endedFrom[e][s]) upstreamEpoch = Math.min(upstreamEpoch, this.epochFrom[e][s]);
      upstreamEpoch = Math.min(upstreamEpoch, this.epochSent[e]);
    }
  }
}

function grid<T>(rows: number, cols: number, fill: () => T): T[][] {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, fill));
}
