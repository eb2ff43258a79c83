/**
 * A binary min-heap of values by time: times and values in two parallel arrays, so a sift compares
 * numbers in one packed array. Values of the same time come out in no particular order, unless
 * `tieBefore` orders them. The keyed operators' timers (state/timer-queue.ts) and the plain
 * Nexmark programs' timers (native-bench/nexmark) are kept in it.
 */
export class TimeHeap<V> {
  private times: number[] = [];
  private values: V[] = [];

  constructor(private readonly tieBefore?: (a: V, b: V) => boolean) {}

  get size(): number {
    return this.times.length;
  }

  /** True when a value at or before `timeMs` is waiting. */
  due(timeMs: number): boolean {
    return this.times.length > 0 && this.times[0] <= timeMs;
  }

  /** The earliest time (the heap is not empty). */
  topTime(): number {
    return this.times[0];
  }

  /** The value of the earliest time (the heap is not empty). */
  top(): V {
    return this.values[0];
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

  /** Removes the value of the earliest time and returns it (the heap is not empty). */
  pop(): V {
    const top = this.values[0];
    const lastTime = this.times.pop()!;
    const lastValue = this.values.pop()!;
    if (this.times.length > 0) this.siftDown(0, lastTime, lastValue);
    return top;
  }

  /** Holds exactly these values from now on, each at the time `timeOf` gives. */
  replace(values: V[], timeOf: (value: V) => number): void {
    this.values = values;
    this.times = values.map(timeOf);
    for (let i = (values.length >> 1) - 1; i >= 0; i--) this.siftDown(i, this.times[i], values[i]);
  }

  private siftDown(from: number, time: number, value: V): void {
    const times = this.times;
    const values = this.values;
    const n = times.length;
    let i = from;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && this.before(times[child + 1], values[child + 1], times[child], values[child])) child++;
      if (!this.before(times[child], values[child], time, value)) break;
      times[i] = times[child];
      values[i] = values[child];
      i = child;
    }
    times[i] = time;
    values[i] = value;
  }

  private before(aTime: number, aValue: V, bTime: number, bValue: V): boolean {
    return aTime < bTime || (aTime === bTime && this.tieBefore !== undefined && this.tieBefore(aValue, bValue));
  }
}
