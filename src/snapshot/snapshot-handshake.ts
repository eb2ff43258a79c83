/**
 * The word a worker and its snapshot thread share for each snapshot request (SnapshotRequest.
 * pinned), and what it says. The worker waits on it at the barrier and writes nothing to LMDB
 * until it may:
 *
 *   waiting ──► goOn                          a delta: made from the change log, no view needed
 *   waiting ──► flushFirst ──► flushed ──► goOn   a full snapshot: the worker writes its dirty
 *                                                 cache into LMDB, then the thread opens its view
 *   any ──► failed                            the view could not be opened, or the flush failed
 */
export const handshake = {
  waiting: 0,
  goOn: 1,
  failed: 2,
  flushFirst: 3,
  flushed: 4,
} as const;

/** Waits while word 0 of `word` holds `value`; false when `timeoutMs` passed first. */
export function waitWhile(word: Int32Array, value: number, timeoutMs: number): boolean {
  return Atomics.wait(word, 0, value, timeoutMs) !== 'timed-out';
}

export function announce(word: Int32Array, value: number): void {
  Atomics.store(word, 0, value);
  Atomics.notify(word, 0);
}
