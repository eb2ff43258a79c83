import type { SharedViews } from '../protocol.ts';
import { systemClock, type Clock } from '../../util/clock.ts';

/** How a worker waits on its doorbell (channel/doorbell.ts: Doorbells is the real one). */
export interface Parking {
  /** Blocks until `ready()`, a ring of doorbell `id`, or `timeoutMs`; returns ready(). */
  park(id: number, ready: () => boolean, timeoutMs: number): boolean;
  /** The same without blocking the event loop; `also` ends the wait too. */
  parkAsync(id: number, ready: () => boolean, timeoutMs: number, also: Promise<unknown>): Promise<boolean>;
}

/**
 * What a worker takes from the world outside its shared memory: the time, and how it waits.
 * Every time the worker loop and its parts read (processing time, source schedules, timers,
 * idleness, flush and metrics intervals, checkpoint timings) comes from `clock`, and every wait
 * goes through `parking`. A worker thread gets the system's; a test passes a simulated clock whose
 * waits jump to their deadline, so a job runs the same way every time (test/simulated-worker.ts).
 * The latency instrumentation stays on the system clock: it measures real time by definition.
 */
export interface WorkerEnvironment {
  clock: Clock;
  parking: Parking;
}

export function systemEnvironment(views: SharedViews): WorkerEnvironment {
  return { clock: systemClock, parking: views.doorbells };
}
