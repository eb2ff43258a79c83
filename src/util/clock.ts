/**
 * High-resolution epoch milliseconds that agree across threads: each thread has its own
 * performance.timeOrigin, measured at its start, so timeOrigin + now() is comparable everywhere.
 */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
