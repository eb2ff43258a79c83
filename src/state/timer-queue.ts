/**
 * The timers of one domain in the order they fire: by time, then key group, then stored key (the
 * same on every run and after a restore).
 *
 * Kept as a bucket per timestamp and a min-heap of the timestamps, not as one heap of timers:
 * timers come in crowds at few times (every key of a window at its end; q5's five windows per
 * auction), and a heap of them paid a sift of log(all timers) comparisons per timer, most between
 * timers of the same time, where the order falls to key group and key (a fifth of a q5 worker's
 * time). A bucket costs a push; its timers are put in order once, when it is due, among
 * themselves.
 *
 * A bucket may hold timers that are no longer live (deleted; or put back by a rebuild while their
 * bucket was firing). They are skipped when their bucket is due, and dropped all at once when
 * they outnumber the live ones (`rebuild`).
 */
import { compareStoredKeys } from './storable.ts';
import type { StoredKey } from './store.ts';

export interface QueuedTimer {
  readonly timestampMs: number;
  readonly keyGroup: number;
  readonly key: StoredKey;
  /** False once fired or deleted: then it is skipped here. */
  readonly live: boolean;
}

export class TimerQueue<T extends QueuedTimer> {
  private buckets = new Map<number, T[]>();
  /** The timestamps of `buckets`, a min-heap. */
  private times: number[] = [];
  /** Timers in the buckets, live or not. */
  private held = 0;

  /** Timers held that are not live, given how many live ones there are. */
  staleCount(liveCount: number): number {
    return this.held - liveCount;
  }

  push(timer: T): void {
    let bucket = this.buckets.get(timer.timestampMs);
    if (bucket === undefined) {
      this.buckets.set(timer.timestampMs, (bucket = []));
      pushTime(this.times, timer.timestampMs);
    }
    bucket.push(timer);
    this.held++;
  }

  /**
   * The live timers of the earliest time at or before `upToMs`, in the order they fire, taken out
   * of the queue; undefined when none is due. A timer pushed meanwhile for a time already due
   * comes in a later call. The caller skips a timer that stops being live before its turn.
   */
  takeDue(upToMs: number): T[] | undefined {
    while (this.times.length > 0) {
      const timestampMs = this.times[0];
      if (timestampMs > upToMs) return undefined;
      const bucket = this.take(timestampMs);
      let live = 0;
      for (const timer of bucket) if (timer.live) bucket[live++] = timer;
      bucket.length = live;
      if (live === 0) continue;
      if (live > 1) bucket.sort(firingOrder);
      return bucket;
    }
    return undefined;
  }

  /** The earliest time with a live timer; +Infinity when there is none. */
  nextTimestamp(): number {
    while (this.times.length > 0) {
      const timestampMs = this.times[0];
      // Order within a bucket does not matter until it is due: drop dead timers from its end
      // until a live one is there, so a bucket's dead timers are looked at once.
      const bucket = this.buckets.get(timestampMs)!;
      while (bucket.length > 0 && !bucket[bucket.length - 1].live) {
        bucket.pop();
        this.held--;
      }
      if (bucket.length > 0) return timestampMs;
      this.take(timestampMs);
    }
    return Infinity;
  }

  /** Holds exactly `live` (every live timer) from now on. */
  rebuild(live: Iterable<T>): void {
    this.buckets = new Map();
    this.times = [];
    this.held = 0;
    for (const timer of live) this.push(timer);
  }

  /** Removes the bucket of `timestampMs` (the earliest time) and returns it. */
  private take(timestampMs: number): T[] {
    const bucket = this.buckets.get(timestampMs)!;
    this.buckets.delete(timestampMs);
    popTime(this.times);
    this.held -= bucket.length;
    return bucket;
  }
}

/** Within one time: by key group, then stored key. */
function firingOrder(a: QueuedTimer, b: QueuedTimer): number {
  return a.keyGroup - b.keyGroup || compareStoredKeys(a.key, b.key);
}

function pushTime(heap: number[], t: number): void {
  let i = heap.push(t) - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent] <= t) break;
    heap[i] = heap[parent];
    i = parent;
  }
  heap[i] = t;
}

function popTime(heap: number[]): void {
  const last = heap.pop()!;
  const n = heap.length;
  if (n === 0) return;
  let i = 0;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && heap[child + 1] < heap[child]) child++;
    if (heap[child] >= last) break;
    heap[i] = heap[child];
    i = child;
  }
  heap[i] = last;
}
