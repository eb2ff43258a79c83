/**
 * What the plain single-thread Nexmark programs share (the COST baseline: McSherry et al.,
 * "Scalability! But at what COST?"). Each query is one loop over the events in the order they were
 * generated, with its state in Maps and no engine: what a competent engineer would write by hand.
 * Event-time queries track a watermark as weir's sources do — the largest dateTime seen minus the
 * bound minus 1 — and fire what it passes; records at or behind it are late and dropped.
 */
import type { NexmarkEvent } from '../../src/connectors/nexmark/model.ts';

export interface BaselineOptions {
  /** The watermark bound, ms (the queries' watermarkMs). */
  watermarkMs: number;
}

export type Baseline<R> = (events: Iterable<NexmarkEvent>, emit: (row: R) => void, opts: BaselineOptions) => void;

/**
 * A binary min-heap of (time, value): the baselines' timers. Timers of the same time come out in
 * no particular order, unless `tieBefore` orders their values.
 */
export class TimerHeap<V> {
  private readonly times: number[] = [];
  private readonly values: V[] = [];

  constructor(private readonly tieBefore?: (a: V, b: V) => boolean) {}

  get size(): number {
    return this.times.length;
  }

  push(time: number, value: V): void {
    const times = this.times;
    const values = this.values;
    let i = times.length;
    times.push(time);
    values.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(time, value, times[parent], values[parent])) break;
      times[i] = times[parent];
      values[i] = values[parent];
      i = parent;
    }
    times[i] = time;
    values[i] = value;
  }

  /** True when a timer at or before `timeMs` is waiting. */
  due(timeMs: number): boolean {
    return this.times.length > 0 && this.times[0] <= timeMs;
  }

  pop(): V {
    const times = this.times;
    const values = this.values;
    const top = values[0];
    const lastTime = times.pop()!;
    const lastValue = values.pop()!;
    const n = times.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && this.before(times[child + 1], values[child + 1], times[child], values[child])) child++;
        if (!this.before(times[child], values[child], lastTime, lastValue)) break;
        times[i] = times[child];
        values[i] = values[child];
        i = child;
      }
      times[i] = lastTime;
      values[i] = lastValue;
    }
    return top;
  }

  private before(aTime: number, aValue: V, bTime: number, bValue: V): boolean {
    return aTime < bTime || (aTime === bTime && this.tieBefore !== undefined && this.tieBefore(aValue, bValue));
  }
}
