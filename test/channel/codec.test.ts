import { describe, expect, it } from 'vitest';
import * as flatbuffers from 'flatbuffers';
import { WeirError } from '../../src/errors.ts';
import { bytesCodec, flatbuffersCodec, jsonCodec, stringCodec, structCodec, structLayout, type Codec } from '../../src/channel/codec.ts';

/** A shared region like a ring's data region, with the offset not at 0. */
function region(bytes = 4096) {
  const sab = new SharedArrayBuffer(bytes + 64);
  return { u8: new Uint8Array(sab, 64, bytes), dv: new DataView(sab, 64, bytes) };
}

function roundTrip<T>(codec: Codec<T>, value: T, offset = 16): T {
  const { u8, dv } = region();
  const n = codec.encode(value, u8, dv, offset, 4096 - offset);
  expect(n).toBeGreaterThanOrEqual(0);
  if (codec.fixedBytes !== undefined) expect(n).toBe(codec.fixedBytes);
  // Decoding must not depend on the ring's bytes afterwards: overwrite them and check again.
  const out = codec.decode(u8, dv, offset, n);
  u8.fill(0xee);
  return out;
}

function encodeError(codec: Codec<unknown>, value: unknown): WeirError {
  const { u8, dv } = region();
  try {
    codec.encode(value, u8, dv, 0, 4096);
  } catch (err) {
    expect(err).toBeInstanceOf(WeirError);
    expect((err as WeirError).code).toBe('WEIR_ENCODE');
    return err as WeirError;
  }
  throw new Error(`expected ${codec.name} to refuse ${String(value)}`);
}

describe('jsonCodec', () => {
  it('round-trips nested values and unicode', () => {
    const value = {
      id: 42,
      name: 'Zoë — 東京 🚀 \u0000 "quoted" \\ back',
      nested: { list: [1, 2.5, -3e-7, null, true, false, 'x'], deeper: { a: [{ b: [] }] } },
      empty: {},
    };
    expect(roundTrip(jsonCodec, value)).toEqual(value);
    expect(roundTrip(jsonCodec, 'just a string')).toBe('just a string');
    expect(roundTrip(jsonCodec, 12.75)).toBe(12.75);
    expect(roundTrip(jsonCodec, null)).toBe(null);
    expect(roundTrip(jsonCodec, [])).toEqual([]);
    expect(roundTrip(jsonCodec, '')).toBe('');
  });

  it('says how many bytes it needs when the room is too small', () => {
    const { u8, dv } = region();
    const value = { s: 'ü'.repeat(10) }; // 2 bytes per ü
    const need = Buffer.byteLength(JSON.stringify(value));
    expect(jsonCodec.encode(value, u8, dv, 0, 5)).toBe(-need); // fewer bytes than characters
    expect(jsonCodec.encode(value, u8, dv, 0, need - 1)).toBe(-need); // enough characters, not bytes
    expect(jsonCodec.encode(value, u8, dv, 0, need)).toBe(need);
    expect(jsonCodec.decode(u8, dv, 0, need)).toEqual(value);
  });

  it('refuses undefined, functions, BigInt and cycles with a reason', () => {
    expect(encodeError(jsonCodec, undefined).message).toMatch(/undefined.*null/);
    expect(encodeError(jsonCodec, () => 1).message).toMatch(/function/);
    expect(encodeError(jsonCodec, Symbol('s')).message).toMatch(/symbol/);
    expect(encodeError(jsonCodec, { n: 10n }).message).toMatch(/BigInt/);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(encodeError(jsonCodec, cyclic).message).toMatch(/cycle/);
  });

  it('a bad JSON payload is a WEIR_DECODE error', () => {
    const { u8, dv } = region();
    u8.set(Buffer.from('{"a":'), 0);
    expect(() => jsonCodec.decode(u8, dv, 0, 5)).toThrow(expect.objectContaining({ code: 'WEIR_DECODE' }));
  });
});

describe('bytesCodec and stringCodec', () => {
  it('bytes round-trip as a copy', () => {
    const value = new Uint8Array([0, 1, 2, 253, 254, 255]);
    const out = roundTrip(bytesCodec, value);
    expect([...out]).toEqual([...value]);
    expect(out.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(roundTrip(bytesCodec, new Uint8Array(0)).length).toBe(0);
    expect([...roundTrip(bytesCodec, Buffer.from('hi'))]).toEqual([104, 105]);
  });

  it('bytes: too small → −length; wrong type → WEIR_ENCODE', () => {
    const { u8, dv } = region();
    expect(bytesCodec.encode(new Uint8Array(10), u8, dv, 0, 9)).toBe(-10);
    expect(encodeError(bytesCodec as Codec<unknown>, 'abc').message).toMatch(/Uint8Array/);
    expect(encodeError(bytesCodec as Codec<unknown>, [1, 2]).message).toMatch(/array/);
  });

  it('strings round-trip (unicode, empty, long)', () => {
    for (const s of ['', 'ascii', 'ñandú', '東京', '🚀🚀', 'x'.repeat(3000)]) expect(roundTrip(stringCodec, s)).toBe(s);
    const { u8, dv } = region();
    expect(stringCodec.encode('🚀', u8, dv, 0, 3)).toBe(-4);
    expect(encodeError(stringCodec as Codec<unknown>, 12).message).toMatch(/expected a string/);
  });
});

describe('structCodec', () => {
  const every = structCodec({
    b: 'bool',
    d: 'f64',
    i8: 'i8',
    u16: 'u16',
    f: 'f32',
    i32: 'i32',
    u8: 'u8',
    i16: 'i16',
    u32: 'u32',
  });

  it('lays fields out by flatbuffers struct rules', () => {
    const layout = structLayout({ b: 'bool', d: 'f64', i8: 'i8', u16: 'u16', f: 'f32', i32: 'i32', u8: 'u8', i16: 'i16', u32: 'u32' });
    expect(layout.fields.map((f) => [f.name, f.offset])).toEqual([
      ['b', 0],
      ['d', 8],
      ['i8', 16],
      ['u16', 18],
      ['f', 20],
      ['i32', 24],
      ['u8', 28],
      ['i16', 30],
      ['u32', 32],
    ]);
    expect(layout.bytes).toBe(40); // 36 rounded up to the largest alignment (8)
    expect(every.fixedBytes).toBe(40);
    expect(structLayout({ a: 'u8', b: 'u8', c: 'u16' }).bytes).toBe(4);
    expect(structLayout({ a: 'i32', b: 'i8' }).bytes).toBe(8);
  });

  it('round-trips every field type (little-endian, zeroed padding)', () => {
    const value = { b: true, d: -1.2345e300, i8: -128, u16: 65535, f: 1.5, i32: -2147483648, u8: 255, i16: -32768, u32: 4294967295 };
    expect(roundTrip(every, value)).toEqual(value);
    expect(roundTrip(every, { ...value, b: false, d: Number.NaN })).toEqual({ ...value, b: false, d: Number.NaN });
    const { u8, dv } = region();
    u8.fill(0xaa);
    every.encode(value, u8, dv, 0, 4096);
    expect(u8[1]).toBe(0); // padding after the bool
    expect(u8[17]).toBe(0); // padding after i8
    expect(dv.getUint16(18, true)).toBe(65535);
    expect(dv.getFloat64(8, true)).toBe(-1.2345e300);
    expect([...u8.subarray(36, 40)]).toEqual([0, 0, 0, 0]); // tail padding
    expect(u8[40]).toBe(0xaa); // nothing written past the struct
  });

  it('integers convert like typed-array stores; f32 rounds', () => {
    const c = structCodec({ a: 'u8', b: 'i16', f: 'f32' });
    expect(roundTrip(c, { a: 257, b: 40000, f: 0.1 })).toEqual({ a: 1, b: 40000 - 65536, f: Math.fround(0.1) });
  });

  it('too small → −fixedBytes; wrong types → WEIR_ENCODE naming the field', () => {
    const { u8, dv } = region();
    const c = structCodec({ x: 'f64', ok: 'bool' });
    expect(c.encode({ x: 1, ok: true }, u8, dv, 0, 15)).toBe(-16);
    expect(encodeError(c as Codec<unknown>, { x: '1', ok: true }).message).toMatch(/field "x".*expected a number/);
    expect(encodeError(c as Codec<unknown>, { x: 1 }).message).toMatch(/field "ok".*expected a boolean/);
    expect(encodeError(c as Codec<unknown>, null).message).toMatch(/expected an object/);
    expect(encodeError(c as Codec<unknown>, 5).message).toMatch(/expected an object/);
    expect(() => c.decode(u8, dv, 0, 8)).toThrow(expect.objectContaining({ code: 'WEIR_DECODE' }));
  });

  it('field names cannot inject code', () => {
    const c = structCodec({ "a'); throw 1; ('": 'i32', 'b"}': 'u8' });
    expect(roundTrip(c, { "a'); throw 1; ('": 7, 'b"}': 9 })).toEqual({ "a'); throw 1; ('": 7, 'b"}': 9 });
    expect(() => structCodec({ __proto__: 'i32' } as never)).toThrow();
    expect(() => structCodec({ a: 'i64' as never })).toThrow(/unknown type/);
  });
});

describe('flatbuffersCodec', () => {
  // A hand-written table: table Person { id: int; name: string; score: double; }
  interface Person {
    id: number;
    name: string;
    score: number;
  }
  const person = flatbuffersCodec<Person>({
    name: 'person',
    build(b, v) {
      const name = b.createString(v.name);
      b.startObject(3);
      b.addFieldInt32(0, v.id, 0);
      b.addFieldOffset(1, name, 0);
      b.addFieldFloat64(2, v.score, 0);
      return b.endObject();
    },
    read(bb) {
      const root = bb.readInt32(bb.position()) + bb.position();
      const o0 = bb.__offset(root, 4);
      const o1 = bb.__offset(root, 6);
      const o2 = bb.__offset(root, 8);
      return {
        id: o0 ? bb.readInt32(root + o0) : 0,
        name: o1 ? (bb.__string(root + o1) as string) : '',
        score: o2 ? bb.readFloat64(root + o2) : 0,
      };
    },
  });

  it('round-trips a table, at any 8-aligned offset, reusing its Builder', () => {
    for (let i = 0; i < 50; i++) {
      const value = { id: i - 25, name: `person ${'é'.repeat(i)} ${i}`, score: i / 3 };
      expect(roundTrip(person, value, 8 * i)).toEqual(value);
    }
  });

  it('too small → −bytes needed; build errors → WEIR_ENCODE', () => {
    const { u8, dv } = region();
    const n = person.encode({ id: 1, name: 'abc', score: 2 }, u8, dv, 0, 4096);
    expect(person.encode({ id: 1, name: 'abc', score: 2 }, u8, dv, 0, n - 1)).toBe(-n);
    const err = encodeError(person as Codec<unknown>, null); // build() reads v.name of null
    expect(err.message).toMatch(/build\(\) threw/);
  });

  it('works with a Builder from the installed flatbuffers package', () => {
    expect(typeof flatbuffers.Builder).toBe('function');
  });
});
