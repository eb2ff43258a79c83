// Drives one real keyed operator (src/runtime/worker/keyed-operator.ts) on one thread, with a real state
// store — the heap backend, or LMDB in a temp dir, which serialises every value it writes back —
// and real timers: like Flink's KeyedOneInputStreamOperatorTestHarness. The test chooses the key
// of each record and moves the watermark and the processing-time clock itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import type { KeyedProcessFunction, TimeDomain } from '../src/functions/contracts.ts';
import type { LogicalNode } from '../src/api/graph.ts';
import { KeyedOperator } from '../src/runtime/worker/keyed-operator.ts';
import { HeapStore } from '../src/state/heap-store.ts';
import { LmdbStore } from '../src/state/lmdb-store.ts';
import type { StateStore } from '../src/state/store.ts';

export interface Emitted<U> {
  key: unknown;
  value: U;
  timestampMs: number;
  /** Creation time for latency (NaN: none). */
  createdMs: number;
  /** From onTimer: when the record of that creation time reached the operator (NaN otherwise). */
  arrivedMs: number;
}

export type HarnessBackend = 'heap' | 'lmdb';

/** A small cache, so that LMDB round trips (write-back, read back) really happen in tests. */
const lmdbCacheEntries = 16;

export class KeyedOperatorHarness<T, K, U> {
  readonly emitted: Emitted<U>[] = [];
  readonly side = new Map<string, unknown[]>();
  processingTimeMs = 0;
  private watermark = Number.NEGATIVE_INFINITY;
  private currentKey: unknown;
  /** Set by the operator's latency hook just before a timer's record is emitted. */
  private timerArrivedMs = NaN;
  private readonly store: StateStore;
  private readonly dir: string | undefined;
  private readonly operator: KeyedOperator;

  /** Closed with the harness (not a store the test passed in). */
  private readonly ownsStore: boolean;

  /**
   * `store`: run on this store (as a restored operator finds its state), which the test closes;
   * `keyOf`: the key selector, where the key is otherwise the one `element` names.
   */
  constructor(fn: KeyedProcessFunction<T, K, U>, options: { backend?: HarnessBackend; store?: StateStore; keyOf?: (value: T) => K } = {}) {
    this.ownsStore = options.store === undefined;
    if (options.store !== undefined) {
      this.store = options.store;
    } else if (options.backend === 'lmdb') {
      this.dir = mkdtempSync(join(tmpdir(), 'weir-harness-'));
      this.store = new LmdbStore({ path: this.dir, cacheEntriesMax: lmdbCacheEntries });
    } else {
      this.store = new HeapStore();
    }
    const node = { kind: 'process', id: 1, input: 0, name: 'under-test', fn } as unknown as LogicalNode & { kind: 'process' };
    const keyOf = options.keyOf as ((value: unknown) => unknown) | undefined;
    this.operator = new KeyedOperator(node, keyOf ?? (() => this.currentKey), fn as KeyedProcessFunction<unknown, unknown, unknown>, this.store, 128, { partition: 0, offset: 0 }, {
      emit: (value, timestampMs, createdMs) => {
        this.emitted.push({ key: this.currentKeyOf(), value: value as U, timestampMs, createdMs, arrivedMs: this.timerArrivedMs });
        this.timerArrivedMs = NaN;
      },
      atTimerEmit: (arrivedMs) => void (this.timerArrivedMs = arrivedMs),
      output: (tag, value) => {
        if (!this.side.has(tag)) this.side.set(tag, []);
        this.side.get(tag)!.push(value);
      },
      nowMs: () => this.processingTimeMs,
      countOut: () => {},
      deadLetter: (value, reason) => {
        if (!this.side.has('dead-letters')) this.side.set('dead-letters', []);
        this.side.get('dead-letters')!.push({ value, reason });
      },
      // The error policy 'fail': every failure is thrown, as a job would fail.
      reject: (err) => {
        throw err;
      },
    });
    this.operator.open({ subtask: 0, parallelism: 1, keyGroups: 128 });
    onTestFinished(() => this.close());
  }

  get watermarkMs(): number {
    return this.watermark;
  }

  element(key: K, value: T, timestampMs = NaN, createdMs = NaN): void {
    this.currentKey = key;
    this.operator.processElement(value, timestampMs, createdMs);
  }

  /** Moves the watermark and fires every event-time timer at or before it, in timestamp order. */
  advanceWatermark(watermarkMs: number): void {
    if (watermarkMs <= this.watermark) return;
    this.watermark = watermarkMs;
    this.operator.onWatermark(watermarkMs);
  }

  advanceProcessingTime(nowMs: number): void {
    this.processingTimeMs = nowMs;
    this.operator.onProcessingTime(nowMs);
  }

  /** End of input: the watermark goes to +Infinity. */
  end(): void {
    this.advanceWatermark(Number.POSITIVE_INFINITY);
  }

  /** Stored state entries over all keys (timers not included). */
  stateEntries(): number {
    return this.operator.stateEntryCount();
  }

  pendingTimers(domain: TimeDomain = 'event-time'): number {
    return this.operator.timerCount(domain);
  }

  sideOutput<X>(tag: string): X[] {
    return (this.side.get(tag) ?? []) as X[];
  }

  values(): U[] {
    return this.emitted.map((e) => e.value);
  }

  private closed = false;

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.operator.close();
    if (this.ownsStore) this.store.close();
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
  }

  /** The key of the record or timer being processed (the operator's context knows it). */
  private currentKeyOf(): unknown {
    return this.operator.currentKey();
  }
}
