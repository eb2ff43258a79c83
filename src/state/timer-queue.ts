/**
 * The timers of one domain in the order they fire: by time, then key group, then stored key (the
 * same on every run and after a restore).
 *
 * A min-heap ordered by time alone (util/time-heap.ts: a sift compares numbers in one packed
 * array); the timers of one time are put in order among themselves only when that time is due.
 * Timers come in crowds at few times (every key of a window at its end; q5's five windows per
 * auction), and a heap ordered by key too compared keys
 * on nearly every step of every sift (timers took 21–24 % of a q5 worker's profile then, 18.5 %
 * now). A heap by time keeps what that one did well, where a Map of buckets per time did not: a
 * timer later than all others (a session's new end) is pushed with one comparison.
 *
 * The heap may hold timers that are no longer live (deleted). They are skipped when they come up,
 * and dropped all at once when they outnumber the live ones (`rebuild`).
 */
import { compareStoredKeys } from './storable.ts';
import type { StoredKey } from './store.ts';
import { TimeHeap } from '../util/time-heap.ts';

export interface QueuedTimer {
  readonly timestampMs: number;
  readonly keyGroup: number;
  readonly key: StoredKey;
  /** False once fired or deleted: then it is skipped here. */
  readonly live: boolean;
}

export class TimerQueue<T extends QueuedTimer> {
  private readonly heap = new TimeHeap<T>();

  /** Timers held that are not live, given how many live ones there are. */
  staleCount(liveCount: number): number {
    return this.heap.size - liveCount;
  }

  push(timer: T): void {
    this.heap.push(timer.timestampMs, timer);
  }

  /**
   * The live timers of the earliest time at or before `upToMs`, in the order they fire, taken out
   * of the queue; undefined when none is due. A timer pushed meanwhile for a time already due
   * comes in a later call. The caller skips a timer that stops being live before its turn.
   */
  takeDue(upToMs: number): T[] | undefined {
    const heap = this.heap;
    while (heap.due(upToMs)) {
      const timestampMs = heap.topTime();
      const due: T[] = [];
      while (heap.size > 0 && heap.topTime() === timestampMs) {
        const timer = heap.pop();
        if (timer.live) due.push(timer);
      }
      if (due.length > 1) due.sort(firingOrder);
      if (due.length > 0) return due;
    }
    return undefined;
  }

  /** The earliest time with a live timer; +Infinity when there is none. */
  nextTimestamp(): number {
    const heap = this.heap;
    while (heap.size > 0 && !heap.top().live) heap.pop();
    return heap.size === 0 ? Infinity : heap.topTime();
  }

  /** Holds exactly `live` (every live timer) from now on. */
  rebuild(live: Iterable<T>): void {
    this.heap.replace([...live], (timer) => timer.timestampMs);
  }
}

/** Within one time: by key group, then stored key. */
function firingOrder(a: QueuedTimer, b: QueuedTimer): number {
  return a.keyGroup - b.keyGroup || compareStoredKeys(a.key, b.key);
}
