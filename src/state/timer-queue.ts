/**
 * The timers of one domain in the order they fire: by time, then key group, then stored key (the
 * same on every run and after a restore).
 *
 * A binary min-heap ordered by time alone (times and timers in two parallel arrays, so a sift
 * compares numbers in one packed array); the timers of one time are put in order among
 * themselves only when that time is due. Timers come in crowds at few times (every key of a
 * window at its end; q5's five windows per auction), and a heap ordered by key too compared keys
 * on nearly every step of every sift (timers took 21–24 % of a q5 worker's profile then, 18.5 %
 * now). A heap by time keeps what that one did well, where a Map of buckets per time did not: a
 * timer later than all others (a session's new end) is pushed with one comparison.
 *
 * The heap may hold timers that are no longer live (deleted). They are skipped when they come up,
 * and dropped all at once when they outnumber the live ones (`rebuild`).
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
  private times: number[] = [];
  private timers: T[] = [];

  /** Timers held that are not live, given how many live ones there are. */
  staleCount(liveCount: number): number {
    return this.times.length - liveCount;
  }

  push(timer: T): void {
    const times = this.times;
    const timers = this.timers;
    const t = timer.timestampMs;
    let i = times.push(t) - 1;
    timers.push(timer);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[parent] <= t) break;
      times[i] = times[parent];
      timers[i] = timers[parent];
      i = parent;
    }
    times[i] = t;
    timers[i] = timer;
  }

  /**
   * The live timers of the earliest time at or before `upToMs`, in the order they fire, taken out
   * of the queue; undefined when none is due. A timer pushed meanwhile for a time already due
   * comes in a later call. The caller skips a timer that stops being live before its turn.
   */
  takeDue(upToMs: number): T[] | undefined {
    const times = this.times;
    while (times.length > 0 && times[0] <= upToMs) {
      const timestampMs = times[0];
      const due: T[] = [];
      while (times.length > 0 && times[0] === timestampMs) {
        const timer = this.pop();
        if (timer.live) due.push(timer);
      }
      if (due.length > 1) due.sort(firingOrder);
      if (due.length > 0) return due;
    }
    return undefined;
  }

  /** The earliest time with a live timer; +Infinity when there is none. */
  nextTimestamp(): number {
    while (this.timers.length > 0 && !this.timers[0].live) this.pop();
    return this.times.length === 0 ? Infinity : this.times[0];
  }

  /** Holds exactly `live` (every live timer) from now on. */
  rebuild(live: Iterable<T>): void {
    const timers = [...live];
    this.timers = timers;
    this.times = timers.map((timer) => timer.timestampMs);
    for (let i = (timers.length >> 1) - 1; i >= 0; i--) this.siftDown(i, this.times[i], timers[i]);
  }

  /** Removes the earliest timer and returns it (the heap is not empty). */
  private pop(): T {
    const times = this.times;
    const timers = this.timers;
    const top = timers[0];
    const lastTime = times.pop()!;
    const last = timers.pop()!;
    if (times.length > 0) this.siftDown(0, lastTime, last);
    return top;
  }

  private siftDown(from: number, t: number, timer: T): void {
    const times = this.times;
    const timers = this.timers;
    const n = times.length;
    let i = from;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && times[child + 1] < times[child]) child++;
      if (times[child] >= t) break;
      times[i] = times[child];
      timers[i] = timers[child];
      i = child;
    }
    times[i] = t;
    timers[i] = timer;
  }
}

/** Within one time: by key group, then stored key. */
function firingOrder(a: QueuedTimer, b: QueuedTimer): number {
  return a.keyGroup - b.keyGroup || compareStoredKeys(a.key, b.key);
}
