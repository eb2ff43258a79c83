import { assert } from '../limits.ts';
import { internalError } from '../errors.ts';
import { kCacheLineBytes } from './layout.ts';

/**
 * One wake-up word per thread ("doorbell"), so a thread that waits for any of several rings
 * (its input rings for data, its output rings for room) parks on ONE address, and whoever
 * changes one of those rings rings that one bell.
 *
 * Each thread `id` owns two Int32 slots, alone on their own cache line (no false sharing between
 * threads parking and being rung):
 *
 *   kSeqSlot     a sequence counter, bumped by every ring that found the thread parked;
 *                the thread Atomics.wait()s on it.
 *   kParkedSlot  1 while the thread is between "announce park" and "woke up", else 0.
 *
 * Why there is no lost wake-up (a Dekker handshake over sequentially consistent Atomics):
 *
 *   parker (thread id)                      ringer (another thread)
 *   P1 Atomics.store(parked, 1)             R1 publish its data (Atomics.store(head) or tail)
 *   P2 s = Atomics.load(seq)                R2 if (Atomics.load(parked) !== 0)
 *   P3 if (ready()) → return                R3    Atomics.add(seq, 1); Atomics.notify(seq)
 *      (ready() reads the ring with Atomics.load)
 *   P4 Atomics.wait(seq, s, timeout)
 *   P5 Atomics.store(parked, 0)
 *
 * All of P1, P3's load, R1 and R2 are seq-cst Atomics, so they fall into one total order. If R2
 * comes before P1, then R1 (before R2) comes before P3, and P3 sees the data: no sleep. If R2 comes
 * after P1, the ringer sees parked = 1 and bumps seq (R3). Then either the bump happened before P2
 * (P3 then also sees the data, since R1 < R3 < P2 < P3), or after it: Atomics.wait compares seq to s
 * atomically with respect to Atomics.notify (both take the same waiter-list lock), so it either
 * sees seq ≠ s and returns at once ("not-equal"), or it is already on the waiter list when the
 * notify comes and is woken. Either the parker sees the data in its re-check or the ringer sees
 * parked = 1 — never neither.
 *
 * Spurious wake-ups are possible (a ring meant for an earlier condition): callers loop and re-check.
 * The common case costs the ringer one Atomics.load (nobody parked).
 */
/** Atomics.waitAsync (Node ≥ 16), typed here: the ES2022 lib this project compiles against predates it. */
const waitAsync = (Atomics as unknown as {
  waitAsync(i32: Int32Array, index: number, value: number, timeoutMs: number): { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
}).waitAsync;

/** Int32 slot of the sequence counter, within a thread's cache line. */
const kSeqSlot = 0;
/** Int32 slot of the "parked" flag, within a thread's cache line. */
const kParkedSlot = 1;
/** Int32 slots between two threads' doorbells (one cache line each). */
const kStrideSlots = kCacheLineBytes / 4;

/** Where another thread (one without the SharedViews, e.g. a snapshot thread) finds doorbell `id`. */
export interface DoorbellAddress {
  buffer: SharedArrayBuffer;
  byteOffset: number;
  count: number;
  id: number;
}

export class Doorbells {
  static readonly kSeqSlot = kSeqSlot;
  static readonly kParkedSlot = kParkedSlot;
  static readonly kStrideSlots = kStrideSlots;

  static byteLength(count: number): number {
    assert(Number.isInteger(count) && count > 0, `doorbell count must be a positive integer, got ${count}`);
    return count * kCacheLineBytes;
  }

  readonly count: number;
  private readonly i32: Int32Array;

  constructor(sab: SharedArrayBuffer, byteOffset: number, count: number) {
    assert(byteOffset % 4 === 0, `doorbells byteOffset must be a multiple of 4, got ${byteOffset}`);
    assert(byteOffset + Doorbells.byteLength(count) <= sab.byteLength, 'doorbells do not fit in the SharedArrayBuffer');
    this.count = count;
    this.i32 = new Int32Array(sab, byteOffset, count * kStrideSlots);
  }

  /** Doorbell `id`, for a thread that rings it from its own Doorbells over the same memory (Doorbells.at). */
  address(id: number): DoorbellAddress {
    return { buffer: this.i32.buffer as SharedArrayBuffer, byteOffset: this.i32.byteOffset, count: this.count, id };
  }

  /** The doorbells at `address`, and the id to ring. */
  static at(address: DoorbellAddress): { doorbells: Doorbells; id: number } {
    return { doorbells: new Doorbells(address.buffer, address.byteOffset, address.count), id: address.id };
  }

  /** Wakes thread `id` if it is parked; one Atomics.load when it is not. Call it AFTER publishing the data. */
  ring(id: number): void {
    const base = id * kStrideSlots;
    if (Atomics.load(this.i32, base + kParkedSlot) !== 0) {
      Atomics.add(this.i32, base + kSeqSlot, 1);
      Atomics.notify(this.i32, base + kSeqSlot);
    }
  }

  /**
   * Announces a park for `id`, re-checks `ready()`, and only then Atomics.wait()s on the doorbell
   * (≤ timeoutMs). Returns true if ready() held or it was rung, false on timeout. Only thread `id`
   * may park on doorbell `id`. `ready` must read the shared state with Atomics (RingReader.hasData,
   * RingWriter.hasRoom do).
   */
  park(id: number, ready: () => boolean, timeoutMs: number): boolean {
    if (!(id >= 0 && id < this.count)) throw internalError(`doorbell id ${id} out of range [0, ${this.count})`);
    const i32 = this.i32;
    const seqSlot = id * kStrideSlots + kSeqSlot;
    const parkedSlot = id * kStrideSlots + kParkedSlot;
    Atomics.store(i32, parkedSlot, 1); // P1
    const seq = Atomics.load(i32, seqSlot); // P2
    try {
      if (ready()) return true; // P3
      return Atomics.wait(i32, seqSlot, seq, timeoutMs) !== 'timed-out'; // P4
    } finally {
      Atomics.store(i32, parkedSlot, 0); // P5
    }
  }

  /**
   * park() for a thread whose event loop must keep running while it waits (network I/O in the
   * same thread): the same handshake, with Atomics.waitAsync at P4, and `also` — a promise of the
   * caller's own (I/O arrived) — ends the wait too. Resolves true if ready() held, the bell rang or
   * `also` settled; false on timeout. A waitAsync left behind when `also` wins expires on its
   * timeout (≤ timeoutMs) or with the next ring; it holds nothing else.
   */
  async parkAsync(id: number, ready: () => boolean, timeoutMs: number, also: Promise<unknown>): Promise<boolean> {
    if (!(id >= 0 && id < this.count)) throw internalError(`doorbell id ${id} out of range [0, ${this.count})`);
    const i32 = this.i32;
    const seqSlot = id * kStrideSlots + kSeqSlot;
    const parkedSlot = id * kStrideSlots + kParkedSlot;
    Atomics.store(i32, parkedSlot, 1); // P1
    const seq = Atomics.load(i32, seqSlot); // P2
    try {
      if (ready()) return true; // P3
      const wait = waitAsync(i32, seqSlot, seq, timeoutMs); // P4
      if (!wait.async) return wait.value !== 'timed-out';
      return await Promise.race([wait.value.then((v) => v !== 'timed-out'), also.then(() => true)]);
    } finally {
      Atomics.store(i32, parkedSlot, 0); // P5
    }
  }

  /**
   * Wakes everybody (used for abort/stop). A thread already parked, or between its P2 and P4, returns
   * at once; one that announces a park later must find the stop condition in its `ready()` (or wakes
   * on its timeout, ≤ limits.parkTimeoutMs in the runtime).
   */
  ringAll(): void {
    const i32 = this.i32;
    for (let id = 0; id < this.count; id++) {
      const seqSlot = id * kStrideSlots + kSeqSlot;
      Atomics.add(i32, seqSlot, 1);
      Atomics.notify(i32, seqSlot);
    }
  }

  /** True while thread `id` is parked (or about to park): for metrics and tests. */
  isParked(id: number): boolean {
    return Atomics.load(this.i32, id * kStrideSlots + kParkedSlot) !== 0;
  }
}
