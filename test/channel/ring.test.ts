import { describe, expect, it } from 'vitest';
import { WeirError } from '../../src/errors.ts';
import { limits } from '../../src/limits.ts';
import { FrameKind, frameBytes, kHeadField, kRingHeaderBytes, kTailField } from '../../src/channel/layout.ts';
import { initRing, maxPayloadBytesFor, ringByteLength, ringUsedBytes, RingReader, RingWriter } from '../../src/channel/ring.ts';
import { seededRandom } from '../../src/util/random.ts';
import { sharedRing } from './helpers.ts';

const W = 0; // writer's doorbell id
const R = 1; // reader's doorbell id

function ring(capacityBytes = 4096) {
  const { sab, ringOffset, bells } = sharedRing(2, capacityBytes);
  return { sab, ringOffset, bells, w: new RingWriter(sab, ringOffset, bells, R, W), r: new RingReader(sab, ringOffset, bells, R, W) };
}

/** Writes one frame whose payload is `len` bytes of (seed + i) & 0xff. */
function put(w: RingWriter, len: number, seed: number, kind: number = FrameKind.Data, aux = 0): boolean {
  const p = w.reserve(len);
  if (p < 0) return false;
  expect(p % 8).toBe(0);
  expect(w.reservedBytes).toBeGreaterThanOrEqual(len);
  expect(w.reservedBytes).toBeLessThanOrEqual(w.maxPayloadBytes);
  for (let i = 0; i < len; i++) w.u8[p + i] = (seed + i) & 0xff;
  w.commit(kind, aux, len);
  return true;
}

describe('ring layout', () => {
  it('sizes: header + data, capacity a power of two within limits', () => {
    expect(ringByteLength(4096)).toBe(kRingHeaderBytes + 4096);
    expect(kRingHeaderBytes % 64).toBe(0);
    expect(kTailField * 4 - kHeadField * 4).toBeGreaterThanOrEqual(64); // separate cache lines
    expect(() => ringByteLength(3000)).toThrow(/power of two/);
    expect(() => ringByteLength(limits.ringCapacityBytesMin / 2)).toThrow(/power of two/);
    expect(() => ringByteLength(limits.ringCapacityBytesMax * 2)).toThrow(/power of two/);
    const sab = new SharedArrayBuffer(ringByteLength(4096) + 8);
    expect(() => initRing(sab, 4, 4096)).toThrow(/multiple of 8/);
    expect(() => initRing(sab, 16, 4096)).toThrow(/does not fit/);
  });

  it('refuses to attach where initRing() was not called', () => {
    const { sab, bells } = sharedRing(2);
    const other = new SharedArrayBuffer(ringByteLength(4096));
    expect(() => new RingWriter(other, 0, bells, R, W)).toThrow(/initRing/);
    expect(sab.byteLength).toBeGreaterThan(0);
  });

  it('maxPayloadBytes is a quarter of the ring minus the frame header (and fits 24 bits)', () => {
    expect(maxPayloadBytesFor(4096)).toBe(1024 - 8);
    expect(maxPayloadBytesFor(1 << 20)).toBe((1 << 18) - 8);
    expect(maxPayloadBytesFor(1 << 28)).toBe((1 << 24) - 8);
    expect(frameBytes(0)).toBe(8);
    expect(frameBytes(1)).toBe(16);
    expect(frameBytes(8)).toBe(16);
    expect(frameBytes(9)).toBe(24);
  });
});

describe('RingWriter / RingReader (one thread)', () => {
  it('empty ring: nothing to read, no bytes used', () => {
    const { w, r } = ring();
    expect(r.next()).toBe(-1);
    expect(r.hasData()).toBe(false);
    expect(w.usedBytes()).toBe(0);
    expect(r.usedBytes()).toBe(0);
    expect(w.hasRoom(w.maxPayloadBytes)).toBe(true);
    expect(w.pendingFrames).toBe(0);
    r.release(); // nothing read: a no-op
    w.publish(); // nothing pending: a no-op
    expect(r.next()).toBe(-1);
  });

  it('full ring: reserve fails, hasRoom is false, and reading makes room again', () => {
    const { sab, ringOffset, w, r } = ring(4096);
    let n = 0;
    while (put(w, 8, n)) n++;
    expect(n).toBe(4096 / 16); // 16-byte frames fill it exactly
    expect(w.usedBytes()).toBe(4096);
    expect(w.hasRoom(0)).toBe(false);
    expect(w.blockedBytes).toBe(8);
    // A full ring publishes what is pending (the reader must be able to make room).
    expect(w.pendingFrames).toBe(0);
    expect(ringUsedBytes(sab, ringOffset)).toBe(4096);
    expect(r.hasData()).toBe(true);
    let p = r.next();
    expect(p).toBe(8);
    expect(w.hasRoom(8)).toBe(false); // not released yet
    r.release();
    expect(w.hasRoom(8)).toBe(true);
    expect(w.hasRoom(16)).toBe(false);
    expect(put(w, 8, 99)).toBe(true);
    expect(put(w, 8, 99)).toBe(false);
    // The writer never overwrites unreleased bytes: every frame still reads back intact.
    for (let i = 1; i < n; i++) {
      p = r.next();
      expect(p).toBeGreaterThanOrEqual(0);
      expect(r.u8[p]).toBe(i & 0xff);
    }
    w.publish();
    p = r.next();
    expect(r.u8[p]).toBe(99);
    expect(r.next()).toBe(-1);
    r.release();
    expect(w.usedBytes()).toBe(0);
  });

  it('committed frames are invisible until publish(); pendingFrames counts them', () => {
    const { w, r } = ring();
    expect(put(w, 5, 1, FrameKind.Data, 7)).toBe(true);
    expect(put(w, 0, 2, FrameKind.Watermark, -3)).toBe(true);
    expect(w.pendingFrames).toBe(2);
    expect(w.usedBytes()).toBe(16 + 8);
    expect(r.hasData()).toBe(false);
    expect(r.next()).toBe(-1);
    w.publish();
    expect(w.pendingFrames).toBe(0);
    expect(r.hasData()).toBe(true);
    let p = r.next();
    expect([r.kind, r.aux, r.payloadBytes]).toEqual([FrameKind.Data, 7, 5]);
    expect([...r.u8.subarray(p, p + 5)]).toEqual([1, 2, 3, 4, 5]);
    p = r.next();
    expect([r.kind, r.aux, r.payloadBytes]).toEqual([FrameKind.Watermark, -3, 0]);
    expect(r.next()).toBe(-1);
    // A reservation that is never committed leaves no frame.
    expect(w.reserve(100)).toBeGreaterThanOrEqual(0);
    w.publish();
    expect(r.next()).toBe(-1);
  });

  it('commit without a reservation, or bigger than reserved, is an assertion failure', () => {
    const { w } = ring();
    expect(() => w.commit(FrameKind.Data, 0, 8)).toThrow(/invariant failed/);
    w.reserve(8);
    expect(() => w.commit(FrameKind.Data, 0, w.reservedBytes + 1)).toThrow(/invariant failed/);
  });

  it('oversized frames throw WEIR_RECORD_TOO_LARGE naming both sizes', () => {
    const { w } = ring(4096);
    expect(w.maxPayloadBytes).toBe(1016);
    expect(w.reserve(1016)).toBe(8);
    let err: unknown;
    try {
      w.reserve(1017);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WeirError);
    expect((err as WeirError).code).toBe('WEIR_RECORD_TOO_LARGE');
    expect((err as WeirError).message).toMatch(/1017/);
    expect((err as WeirError).message).toMatch(/1016/);
    expect(w.hasRoom(1017)).toBe(false);
  });

  it('wraps around with a Pad frame the reader skips', () => {
    const { w, r } = ring(4096);
    // 4 frames of 1008 bytes (1000 payload) = 4032; 64 bytes remain before the end.
    for (let i = 0; i < 4; i++) expect(put(w, 1000, i)).toBe(true);
    w.publish();
    expect(w.usedBytes()).toBe(4032);
    expect(w.hasRoom(1000)).toBe(false); // would need 64 (pad) + 1008 free
    expect(w.hasRoom(56)).toBe(true); // a 64-byte frame still fits exactly before the end
    expect(w.hasRoom(57)).toBe(false); // a 72-byte one would wrap: 64 + 72 > 64 free
    expect(put(w, 1000, 4)).toBe(false);
    // Release the first frame: 1008 free at the start + 64 at the end = exactly pad + frame.
    expect(r.next()).toBe(8);
    r.release();
    expect(w.hasRoom(1001)).toBe(false);
    expect(w.hasRoom(1000)).toBe(true);
    expect(put(w, 1000, 4)).toBe(true);
    w.publish();
    expect(w.usedBytes()).toBe(4096);
    // The reader sees frames 2, 3, then (skipping the pad) 4 at the start of the region.
    const seen: number[] = [];
    let p: number;
    while ((p = r.next()) >= 0) {
      expect(r.kind).toBe(FrameKind.Data);
      seen.push(r.u8[p]!);
      if (r.u8[p] === 4) expect(p).toBe(8);
    }
    expect(seen).toEqual([1, 2, 3, 4]);
    r.release();
    expect(w.usedBytes()).toBe(0);
  });

  it('hasData() skips a Pad that was published alone (no spurious "data")', () => {
    const { w, r } = ring(4096);
    for (let i = 0; i < 4; i++) put(w, 1000, i);
    w.publish();
    while (r.next() >= 0);
    r.release();
    // Reserve across the end (writes a Pad), then drop the reservation and publish: only the Pad is new.
    expect(w.reserve(1000)).toBe(8);
    w.publish();
    expect(r.hasData()).toBe(false);
    expect(r.next()).toBe(-1);
  });

  it('random frame sizes crossing the end many times keep their contents (checksum)', () => {
    const cap = 4096;
    const { w, r } = ring(cap);
    const rnd = seededRandom(42);
    let written = 0;
    let read = 0;
    let sumIn = 0;
    let sumOut = 0;
    let bytes = 0;
    const sizes: number[] = [];
    while (read < 20_000) {
      // Write a random burst; publish at random points.
      const burst = 1 + Math.floor(rnd() * 12);
      for (let k = 0; k < burst; k++) {
        const len = rnd() < 0.1 ? Math.floor(rnd() * (w.maxPayloadBytes + 1)) : Math.floor(rnd() * 64);
        const p = w.reserve(len);
        if (p < 0) break;
        for (let i = 0; i < len; i++) {
          const b = (written * 31 + i * 7) & 0xff;
          w.u8[p + i] = b;
          sumIn += b;
        }
        w.commit(FrameKind.Data, written, len);
        sizes.push(len);
        bytes += frameBytes(len);
        written++;
        if (rnd() < 0.3) w.publish();
      }
      if (rnd() < 0.5) w.publish();
      // Read a random number of frames; release at random points.
      const take = Math.floor(rnd() * 14);
      for (let k = 0; k < take; k++) {
        const p = r.next();
        if (p < 0) break;
        expect(r.aux).toBe(read);
        expect(r.payloadBytes).toBe(sizes[read]);
        let ok = true;
        for (let i = 0; i < r.payloadBytes; i++) {
          const b = r.u8[p + i]!;
          if (b !== ((read * 31 + i * 7) & 0xff)) ok = false;
          sumOut += b;
        }
        expect(ok).toBe(true);
        read++;
        if (rnd() < 0.4) r.release();
      }
      if (rnd() < 0.5) r.release();
      expect(w.usedBytes()).toBeLessThanOrEqual(cap);
    }
    expect(sumOut).toBe(sumIn - sumOfUnread());
    expect(bytes / cap).toBeGreaterThan(100); // crossed the end of the region many times
    function sumOfUnread(): number {
      let s = 0;
      for (let f = read; f < written; f++) for (let i = 0; i < sizes[f]!; i++) s += (f * 31 + i * 7) & 0xff;
      return s;
    }
  });

  it('free-running head/tail wrap past 2^31 and 2^32 with |0 arithmetic', () => {
    const { sab, ringOffset, bells } = sharedRing(2, 4096);
    // Start both counters just below 2^31 (as Int32: just below the sign flip); run well past it.
    const hdr = new Int32Array(sab, ringOffset, kRingHeaderBytes / 4);
    const start = (0x7fffffff - 3000) & ~7;
    hdr[kHeadField] = start;
    hdr[kTailField] = start;
    const w = new RingWriter(sab, ringOffset, bells, R, W);
    const r = new RingReader(sab, ringOffset, bells, R, W);
    let next = 0;
    for (let round = 0; round < 500; round++) {
      for (let k = 0; k < 5; k++) expect(put(w, 100 + (round % 50), round * 5 + k)).toBe(true);
      w.publish();
      expect(w.usedBytes()).toBeGreaterThan(0);
      expect(w.usedBytes()).toBeLessThanOrEqual(4096);
      let p: number;
      while ((p = r.next()) >= 0) {
        expect(r.u8[p]).toBe(next & 0xff);
        next++;
      }
      r.release();
      expect(w.usedBytes()).toBe(0);
    }
    expect(next).toBe(2500);
    expect(Atomics.load(hdr, kHeadField)).toBeLessThan(0); // went past 2^31 (negative as an Int32)
  });

  it('a writer or reader attached later resumes from the shared head/tail', () => {
    const { sab, ringOffset, bells, w, r } = ring();
    put(w, 8, 1);
    put(w, 8, 2);
    w.publish();
    r.next();
    r.release();
    const w2 = new RingWriter(sab, ringOffset, bells, R, W);
    const r2 = new RingReader(sab, ringOffset, bells, R, W);
    expect(w2.usedBytes()).toBe(16);
    put(w2, 8, 3);
    w2.publish();
    const got: number[] = [];
    let p: number;
    while ((p = r2.next()) >= 0) got.push(r2.u8[p]!);
    expect(got).toEqual([2, 3]);
  });
});
