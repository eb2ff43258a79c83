/**
 * The CEP operator's queue of keys with buffered records, by when they are due: the earliest
 * buffered timestamp of each. When the watermark advances, the keys due at it are taken out in
 * order and their records fed to the NFA (cep-operator.ts).
 *
 * This replaces one event-time timer per key: with many keys most hold a single record when the
 * watermark passes, so that was a timer registered and fired per record — a timer object, its
 * index entries, the timer heap, the store's bookkeeping at the next flush. Here a key is an
 * entry of an indexed binary min-heap on the key's own object (no allocation, no look-up): it
 * moves up when an earlier record arrives and is taken out when it is due.
 *
 * The queue is not state: what it holds is exactly the keys whose 'cep-buffer' is not empty, so
 * after a restore it is rebuilt from that state (cep-held-keys.ts). Ties are broken as timers'
 * are (firesBefore: key group, then stored key), so keys due at the same time are taken in the same order
 * on every run and after a restore.
 */
import { internalError } from '../errors.ts';
import type { StoredKey } from '../state/store.ts';
import { firesBefore } from '../state/timers.ts';

export interface DueKey {
  readonly key: unknown;
  readonly keyGroup: number;
  readonly storedKey: StoredKey;
  /** When the key is due; meaningful while it is queued (and, once taken out, the time it was due at). */
  dueMs: number;
  /** Its place in the heap, -1 when it is not queued. */
  dueIndex: number;
}

export class DueKeys {
  private readonly heap: DueKey[] = [];

  get size(): number {
    return this.heap.length;
  }

  /** Makes sure `k` is queued at `dueMs` or earlier. */
  schedule(k: DueKey, dueMs: number): void {
    if (!(dueMs < Number.POSITIVE_INFINITY)) throw internalError(`CEP: a key is queued at a finite time, not ${dueMs}`);
    if (k.dueIndex >= 0) {
      if (dueMs >= k.dueMs) return;
      k.dueMs = dueMs;
      this.siftUp(k.dueIndex, k);
      return;
    }
    k.dueMs = dueMs;
    this.siftUp(this.heap.length, k);
  }

  /** Takes out the earliest key when it is due at `watermarkMs` (or before); undefined when none is. */
  takeDue(watermarkMs: number): DueKey | undefined {
    const heap = this.heap;
    if (heap.length === 0 || heap[0].dueMs > watermarkMs) return undefined;
    const top = heap[0];
    const last = heap.pop()!;
    if (last !== top) this.siftDown(0, last);
    top.dueIndex = -1;
    return top;
  }

  private siftUp(from: number, k: DueKey): void {
    const heap = this.heap;
    let i = from;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent];
      if (!before(k, p)) break;
      heap[i] = p;
      p.dueIndex = i;
      i = parent;
    }
    heap[i] = k;
    k.dueIndex = i;
  }

  private siftDown(from: number, k: DueKey): void {
    const heap = this.heap;
    const n = heap.length;
    let i = from;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && before(heap[child + 1], heap[child])) child++;
      const c = heap[child];
      if (!before(c, k)) break;
      heap[i] = c;
      c.dueIndex = i;
      i = child;
    }
    heap[i] = k;
    k.dueIndex = i;
  }
}

function before(a: DueKey, b: DueKey): boolean {
  return firesBefore(a.dueMs, a.keyGroup, a.storedKey, b.dueMs, b.keyGroup, b.storedKey);
}
