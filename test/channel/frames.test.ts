import { describe, expect, it } from 'vitest';
import * as flatbuffers from 'flatbuffers';
import { WeirError } from '../../src/errors.ts';
import { bytesCodec, jsonCodec, stringCodec, structCodec, type Codec } from '../../src/channel/codec.ts';
import { objectCodec } from '../../src/channel/object-codec.ts';
import {
  dataCreated,
  dataOffset,
  dataTimestamp,
  kRecordMetaBytes,
  dataSent,
  readControl,
  readData,
  writeControl,
  writeData,
  type ControlFrame,
} from '../../src/channel/frames.ts';
import { FrameKind as GeneratedFrameKind } from '../../src/channel/generated/frame-kind.ts';
import { RecordMeta } from '../../src/channel/generated/record-meta.ts';
import { FrameKind } from '../../src/channel/layout.ts';
import { RingReader, RingWriter } from '../../src/channel/ring.ts';
import { seededRandom } from '../../src/util/random.ts';
import { sharedRing } from './helpers.ts';

function ring(capacityBytes = 4096) {
  const { sab, ringOffset, bells } = sharedRing(2, capacityBytes);
  return { w: new RingWriter(sab, ringOffset, bells, 1, 0), r: new RingReader(sab, ringOffset, bells, 1, 0) };
}

function thrown(fn: () => unknown): WeirError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WeirError);
    return err as WeirError;
  }
  throw new Error('expected a throw');
}

describe('Data frames', () => {
  it('round-trip meta, partition and value with every codec', () => {
    const { w, r } = ring();
    const point = structCodec({ x: 'f64', y: 'f64', id: 'u32', ok: 'bool' });
    const cases: [Codec<never>, unknown][] = [
      [jsonCodec as Codec<never>, { user: 'zoë', n: [1, 2, { deep: true }] }],
      [stringCodec as Codec<never>, 'hello, 世界'],
      [bytesCodec as Codec<never>, new Uint8Array([9, 8, 7])],
      [point as Codec<never>, { x: 1.5, y: -2.25, id: 7, ok: true }],
    ];
    cases.forEach(([codec, value], i) => {
      expect(writeData(w, codec, value as never, 3 + i, 1000 + i, 1_700_000_000_000 + i, 1_700_000_000_500.25 + i, 'op')).toBe(true);
    });
    expect(w.pendingFrames).toBe(4);
    expect(r.next()).toBe(-1); // not published yet
    w.publish();
    cases.forEach(([codec, value], i) => {
      const p = r.next();
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p % 8).toBe(0);
      expect(r.kind).toBe(FrameKind.Data);
      expect(r.aux).toBe(3 + i);
      expect(dataOffset(r, p)).toBe(1000 + i);
      expect(dataTimestamp(r, p)).toBe(1_700_000_000_000 + i);
      expect(dataCreated(r, p)).toBe(1_700_000_000_500.25 + i);
      const got = readData(r, p, codec);
      if (value instanceof Uint8Array) expect([...(got as Uint8Array)]).toEqual([...value]);
      else expect(got).toEqual(value);
    });
    expect(r.next()).toBe(-1);
  });

  it('the RecordMeta prefix is the flatbuffers struct of frames.fbs', () => {
    const { w, r } = ring();
    writeData(w, jsonCodec, 1, 0, 123456789, 42.5, 99.25, 'op', 100.5);
    w.publish();
    const p = r.next();
    const meta = new RecordMeta().__init(p, new flatbuffers.ByteBuffer(r.u8));
    expect([meta.offset(), meta.timestampMs(), meta.createdMs(), meta.sentMs()]).toEqual([123456789, 42.5, 99.25, 100.5]);
    expect(dataSent(r, p)).toBe(100.5);
    expect(RecordMeta.sizeOf()).toBe(kRecordMetaBytes);
    // And the generated enum agrees with layout.ts.
    for (const [name, value] of Object.entries(FrameKind)) expect(GeneratedFrameKind[name as keyof typeof GeneratedFrameKind]).toBe(value);
  });

  it('returns false when the ring is full, then succeeds once there is room', () => {
    const { w, r } = ring(4096);
    const value = { s: 'x'.repeat(900) };
    let n = 0;
    while (writeData(w, jsonCodec, value, 0, n, 0, 0, 'op')) n++;
    expect(n).toBe(4); // 4 × (8 + 24 + 908 → 944) fit; the 5th would need a wrap
    expect(w.pendingFrames).toBe(0); // the full ring published them
    expect(w.blockedBytes).toBeGreaterThanOrEqual(kRecordMetaBytes);
    expect(w.hasRoom(w.blockedBytes)).toBe(false);
    r.next();
    r.next();
    r.release();
    expect(w.hasRoom(w.blockedBytes)).toBe(true);
    expect(writeData(w, jsonCodec, value, 0, n, 0, 0, 'op')).toBe(true);
    w.publish();
    let p: number;
    const offsets: number[] = [];
    while ((p = r.next()) >= 0) offsets.push(dataOffset(r, p));
    expect(offsets).toEqual([2, 3, 4]);
  });

  it('random-size JSON records through a small ring (encode retries across the end)', () => {
    const { w, r } = ring(4096);
    const rnd = seededRandom(7);
    let sent = 0;
    let received = 0;
    const lengths: number[] = [];
    while (received < 5000) {
      for (let k = Math.floor(rnd() * 6); k > 0; k--) {
        const len = rnd() < 0.2 ? Math.floor(rnd() * 900) : Math.floor(rnd() * 40);
        if (!writeData(w, jsonCodec, { i: sent, s: 'ä'.repeat(len >> 1) }, 1, sent, 0, 0, 'op')) break;
        lengths.push(len >> 1);
        sent++;
      }
      w.publish();
      for (let k = Math.floor(rnd() * 6); k > 0; k--) {
        const p = r.next();
        if (p < 0) break;
        const v = readData(r, p, jsonCodec) as { i: number; s: string };
        expect(v.i).toBe(received);
        expect(dataOffset(r, p)).toBe(received);
        expect(v.s.length).toBe(lengths[received]);
        received++;
      }
      r.release();
    }
  });

  it("objectCodec through a small ring: a record whose binary form passes the frame's limit goes as JSON when that fits", () => {
    const { w, r } = ring(4096); // frames of at most 1016 payload bytes
    const writer = objectCodec();
    const reader = objectCodec();
    const rnd = seededRandom(11);
    let sent = 0;
    let received = 0;
    const values: unknown[] = [];
    while (received < 3000) {
      for (let k = Math.floor(rnd() * 6); k > 0; k--) {
        // Lists of digits: two bytes each in JSON, five in binary. Up to 400 of them: the JSON
        // (at most ~820 bytes) always fits in a frame, the binary form (up to ~2 KB) often not.
        const value = { i: sent, list: Array.from({ length: Math.floor(rnd() * 400) }, (_, j) => j % 10), names: ['a', 'ä'] };
        if (!writeData(w, writer, value, 1, sent, 0, 0, 'op')) break;
        values.push(value);
        sent++;
      }
      w.publish();
      for (let k = Math.floor(rnd() * 6); k > 0; k--) {
        const p = r.next();
        if (p < 0) break;
        expect(readData(r, p, reader)).toEqual(values[received]);
        received++;
      }
      r.release();
    }
  });

  it('a record that can never fit → WEIR_RECORD_TOO_LARGE naming the operator', () => {
    const { w } = ring(4096);
    let err = thrown(() => writeData(w, stringCodec, 'y'.repeat(2000), 0, 17, 0, 0, 'enrich'));
    expect(err.code).toBe('WEIR_RECORD_TOO_LARGE');
    expect(err.operator).toBe('enrich');
    expect(err.message).toMatch(/"enrich"/);
    expect(err.message).toMatch(/2000/);
    expect(err.message).toMatch(/1016/);
    // A fixed-size codec is refused before encoding.
    const huge = structCodec(Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`f${i}`, 'f64'])) as Record<string, 'f64'>);
    err = thrown(() => writeData(w, huge, {} as never, 0, 0, 0, 0, 'wide'));
    expect(err.code).toBe('WEIR_RECORD_TOO_LARGE');
    expect(err.operator).toBe('wide');
    expect(w.usedBytes()).toBe(0);
  });

  it('an encode error → WEIR_ENCODE naming the operator, and nothing is written', () => {
    const { w, r } = ring();
    const err = thrown(() => writeData(w, jsonCodec, { big: 1n }, 2, 5, 0, 0, 'parse'));
    expect(err.code).toBe('WEIR_ENCODE');
    expect(err.operator).toBe('parse');
    expect(err.partition).toBe(2);
    expect(err.offset).toBe(5);
    expect(err.message).toMatch(/"parse" emitted a record the json codec cannot encode, the record from source partition 2 at offset 5: .*BigInt/);
    w.publish();
    expect(r.next()).toBe(-1);
  });

  it('a payload the codec cannot decode → WEIR_DECODE', () => {
    const { w, r } = ring();
    writeData(w, stringCodec, '{"not json', 0, 0, 0, 0, 'op');
    w.publish();
    const p = r.next();
    expect(thrown(() => readData(r, p, jsonCodec)).code).toBe('WEIR_DECODE');
  });
});

describe('control frames', () => {
  const frames: ControlFrame[] = [
    { kind: FrameKind.Watermark, timestampMs: 1_700_000_000_123.5, idle: false },
    { kind: FrameKind.Watermark, timestampMs: 1_700_000_000_123.5, idle: true },
    { kind: FrameKind.Watermark, timestampMs: Number.NEGATIVE_INFINITY, idle: false },
    { kind: FrameKind.Barrier, checkpointId: 42, timestampMs: 17.25 },
    { kind: FrameKind.Barrier, checkpointId: 0, timestampMs: 0 },
    { kind: FrameKind.EndOfStream, partition: 11 },
    { kind: FrameKind.EpochEnd, epoch: 123456 },
  ];

  it('round-trip every kind, in order with data frames', () => {
    const { w, r } = ring();
    for (const f of frames) {
      expect(writeControl(w, f)).toBe(true);
      expect(writeData(w, jsonCodec, f.kind, 0, 0, 0, 0, 'op')).toBe(true);
    }
    w.publish();
    for (const f of frames) {
      let p = r.next();
      expect(r.kind).toBe(f.kind);
      expect(readControl(r, p)).toEqual(f);
      if (f.kind === FrameKind.EndOfStream) expect(r.aux).toBe(f.partition);
      p = r.next();
      expect(r.kind).toBe(FrameKind.Data);
      expect(readData(r, p, jsonCodec)).toBe(f.kind);
    }
  });

  it('checkpoint ids beyond 2^53 come back as bigint; bad ids are refused', () => {
    const { w, r } = ring();
    const big = 2n ** 63n + 5n;
    writeControl(w, { kind: FrameKind.Barrier, checkpointId: big, timestampMs: 1 });
    writeControl(w, { kind: FrameKind.Barrier, checkpointId: 7n, timestampMs: 1 });
    w.publish();
    expect(readControl(r, r.next())).toEqual({ kind: FrameKind.Barrier, checkpointId: big, timestampMs: 1 });
    expect(readControl(r, r.next())).toEqual({ kind: FrameKind.Barrier, checkpointId: 7, timestampMs: 1 });
    expect(thrown(() => writeControl(w, { kind: FrameKind.Barrier, checkpointId: -1, timestampMs: 0 })).code).toBe('WEIR_ENCODE');
    expect(thrown(() => writeControl(w, { kind: FrameKind.EpochEnd, epoch: 1.5 })).code).toBe('WEIR_ENCODE');
    expect(thrown(() => writeControl(w, { kind: FrameKind.Data } as never)).code).toBe('WEIR_ENCODE');
  });

  it('returns false when there is no room; reading a Data frame as control → WEIR_DECODE', () => {
    const { w, r } = ring(4096);
    // 8 (header) + kRecordMetaBytes + payload = 1024: four frames fill the 4096-byte ring exactly.
    while (writeData(w, bytesCodec, new Uint8Array(1024 - 8 - kRecordMetaBytes), 0, 0, 0, 0, 'op'));
    while (writeData(w, bytesCodec, new Uint8Array(0), 0, 0, 0, 0, 'op'));
    expect(w.usedBytes()).toBe(4096);
    expect(writeControl(w, { kind: FrameKind.Watermark, timestampMs: 1, idle: false })).toBe(false);
    const p = r.next();
    expect(thrown(() => readControl(r, p)).code).toBe('WEIR_DECODE');
  });
});
