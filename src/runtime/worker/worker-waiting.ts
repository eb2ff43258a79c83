import type { SourceReader } from '../../connectors/types.ts';
import { limits } from '../../limits.ts';
import type { Exchanges } from './exchanges.ts';
import type { WorkerEnvironment } from './environment.ts';
import { kAbort, kCheckpointCompleted, kCheckpointRequested, kEpochRequested, kStop, type SharedViews } from '../protocol.ts';

/**
 * How a worker waits. With nothing to do it parks on its doorbell (Atomics.wait) until a peer
 * rings it, a flag it acts on changes, or the timeout passes. Two things need the thread's event
 * loop to run meanwhile, which Atomics.wait would starve:
 *  - sources fed by the network on this thread (SourceReader.whenReady, e.g. Kafka): the worker
 *    parks with Atomics.waitAsync and also wakes when a reader has records, and while busy yields
 *    a turn to the event loop every limits.eventLoopYieldIntervalMs;
 *  - a state file being written on this thread (`needsEventLoop()`): parks last at most 1 ms.
 * Background threads (a snapshot thread) ring the doorbell when they have news (`hasNews()`).
 */
export interface BackgroundWork {
  /** Something completes only on this thread's event loop. */
  needsEventLoop(): boolean;
  /** A background thread has posted something for the loop to take. */
  hasNews(): boolean;
  /** With mapAsync requests in flight: settles at the next settlement (they settle on this thread's event loop). */
  asyncNews(): Promise<void> | undefined;
  /** Exchanges whose input is not taken now (they feed a full mapAsync): their records do not end a park. */
  exchangeHeld(exchange: number): boolean;
}

export class WorkerWaiting {
  parks = 0;
  private lastYieldMs = 0;

  constructor(
    private readonly me: number,
    private readonly views: SharedViews,
    private readonly environment: WorkerEnvironment,
    private readonly exchanges: Exchanges,
    private readonly ioReaders: () => Array<SourceReader<unknown>>,
    private readonly background: BackgroundWork,
  ) {}

  /** Waits at most timeoutMs for input or a change of the flags. */
  async park(timeoutMs: number): Promise<void> {
    if (this.background.needsEventLoop()) timeoutMs = Math.min(timeoutMs, 1);
    const news = this.background.asyncNews();
    if (timeoutMs <= 0) {
      // Requests in flight settle only on the event loop: never return without giving it a turn.
      if (news !== undefined) await new Promise<void>((resolve) => setImmediate(resolve));
      return;
    }
    this.parks++;
    const readers = this.ioReaders();
    if (readers.length === 0 && news === undefined) {
      this.environment.parking.park(this.me, this.wakeCondition(), timeoutMs);
      return;
    }
    this.lastYieldMs = this.environment.clock.nowMs();
    const wakes: Array<Promise<unknown>> = readers.map((r) => r.whenReady!());
    if (news !== undefined) wakes.push(news);
    await this.environment.parking.parkAsync(this.me, this.wakeCondition(), timeoutMs, Promise.race(wakes));
  }

  /** While busy: a turn for the event loop now and then, when network sources need it. */
  async yieldWhileBusy(now: number): Promise<void> {
    if (now - this.lastYieldMs < limits.eventLoopYieldIntervalMs || this.ioReaders().length === 0) return;
    this.lastYieldMs = now;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** What ends a park: input in an unheld ring, or a change of any flag the loop acts on. */
  private wakeCondition(): () => boolean {
    const control = this.views.control;
    const stop = Atomics.load(control, kStop);
    const epoch = Atomics.load(control, kEpochRequested);
    const checkpoint = Atomics.load(control, kCheckpointRequested);
    const completed = Atomics.load(control, kCheckpointCompleted);
    return () =>
      this.exchanges.hasInput(0, this.background.exchangeHeld) ||
      this.background.hasNews() ||
      Atomics.load(control, kStop) !== stop ||
      Atomics.load(control, kEpochRequested) !== epoch ||
      Atomics.load(control, kCheckpointRequested) !== checkpoint ||
      Atomics.load(control, kCheckpointCompleted) !== completed ||
      Atomics.load(control, kAbort) !== 0;
  }
}
