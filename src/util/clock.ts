/**
 * High-resolution epoch milliseconds that agree across threads: timeOrigin + now() is comparable
 * everywhere (performance.now() counts from this thread's timeOrigin).
 *
 * timeOrigin never changes, and reading it goes through a getter that returns a fresh number each
 * time: read once, it is one allocation less per call — nowMs() runs several times per record.
 */
const timeOrigin = performance.timeOrigin;

export function nowMs(): number {
  return timeOrigin + performance.now();
}

/** A source of the time (epoch ms); the worker loop takes one so that a test can run it on a simulated clock. */
export interface Clock {
  /** Called unbound (it is passed around as a function, on the per-record path): it must not use `this`. */
  readonly nowMs: () => number;
}

export const systemClock: Clock = { nowMs };
