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
