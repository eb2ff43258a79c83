import * as flatbuffers from 'flatbuffers';
import { WeirError } from '../errors.ts';
import { assert } from '../limits.ts';

/**
 * Pluggable payload codecs: how a record value becomes bytes inside a ring frame and back.
 *
 * encode() writes straight into the ring (u8/dv are the ring's data-region views) at `offset`, using
 * at most `maxBytes`. It returns the bytes written, or −(bytes needed) when the value does not fit
 * in `maxBytes` (the caller then reserves a bigger frame, or waits for room, and calls again).
 * It throws WeirError('WEIR_ENCODE') for a value it can never encode.
 *
 * decode() reads `length` bytes at `offset`. The ring reuses its space after release(), so decode
 * must return a value that does not alias the ring (copy), unless a codec documents otherwise.
 */
export interface Codec<T> {
  readonly name: string;
  /** Every value encodes to exactly this many bytes. */
  readonly fixedBytes?: number;
  /**
   * Encodes value into u8/dv at offset, using at most maxBytes. Returns bytes written, or
   * −(bytes needed) (negative) when it does not fit. Throws WeirError('WEIR_ENCODE', …) for a value
   * it cannot encode (undefined, BigInt, cycles, wrong type) with a message saying why.
   * `recordBytesMax`, when given, is the most a record may take where it goes (the frame's limit):
   * a codec with more than one way to write a value picks one that fits it.
   */
  encode(value: T, u8: Uint8Array, dv: DataView, offset: number, maxBytes: number, recordBytesMax?: number): number;
  decode(u8: Uint8Array, dv: DataView, offset: number, length: number): T;
  /**
   * What decode(encode(value)) gives, made without the bytes — for a record that stays in its
   * thread (a worker's records to itself, runtime/worker/local-channel.ts) — or `notCopied` when
   * the value may need what only the bytes tell: an encode error, a size past `recordBytesMax`,
   * a form the codec does not copy. Never changes `value`. A codec without it goes through bytes.
   * `size.bytes` is set to about what the value's bytes would take (what a ring would hold of it:
   * what waits in a thread is bounded by it, runtime/worker/local-channel.ts).
   */
  copy?(value: T, recordBytesMax: number, size: CopySize): T | typeof notCopied;
}

/** Codec.copy's measure of what it copied. */
export interface CopySize {
  bytes: number;
}

/** Codec.copy's answer when the value must go through bytes. */
export const notCopied: unique symbol = Symbol('weir.notCopied');

/**
 * A Buffer over the same memory as a ring's u8 view, made once per view: Buffer#toString decodes
 * UTF-8 from a SharedArrayBuffer without the subarray() allocation TextDecoder needs (measured
 * ~15% faster per record).
 */
const bufferViews = new WeakMap<Uint8Array, Buffer>();
function bufferOf(u8: Uint8Array): Buffer {
  let buf = bufferViews.get(u8);
  if (buf === undefined) {
    buf = Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
    bufferViews.set(u8, buf);
  }
  return buf;
}

function encodeError(codec: string, why: string, cause?: unknown): WeirError {
  return new WeirError('WEIR_ENCODE', `${codec} cannot encode ${why}`, { cause });
}

function decodeError(codec: string, why: string, cause?: unknown): WeirError {
  return new WeirError('WEIR_DECODE', `${codec} cannot decode ${why}`, { cause });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return `a ${value.constructor.name}`;
  const t = typeof value;
  if (t === 'object') return `an object (${(value as object).constructor?.name ?? 'no prototype'})`;
  if (t === 'string') return 'a string';
  return `${t === 'undefined' ? '' : 'a '}${t}${t === 'number' || t === 'boolean' ? ` (${String(value)})` : ''}`;
}

/**
 * Writes a UTF-8 string into u8 at offset; returns bytes written or −(bytes needed).
 *
 * Buffer#write on the ring's Buffer view, not TextEncoder.encodeInto: encodeInto needs a subarray
 * per call (and returns a result object), two allocations per record on the hot path. Buffer#write
 * writes whole characters only and stops before one that does not fit, so when at least 4 bytes
 * (the longest UTF-8 sequence) were left over, the whole string was written. Lone surrogates
 * become U+FFFD either way.
 */
function writeUtf8(s: string, u8: Uint8Array, offset: number, maxBytes: number): number {
  const len = s.length;
  if (len === 0) return 0;
  if (len > maxBytes) {
    // At least one byte per UTF-16 unit: cannot fit, and we know it without encoding.
    return -Buffer.byteLength(s, 'utf8');
  }
  const written = bufferOf(u8).write(s, offset, maxBytes, 'utf8');
  if (written <= maxBytes - 4) return written;
  const need = Buffer.byteLength(s, 'utf8');
  return written === need ? written : -need;
}

/**
 * Any JSON value. JSON.stringify, then the UTF-8 bytes straight into the ring (writeUtf8: no
 * intermediate Buffer when it fits). undefined, functions, symbols, BigInt and cycles are encode
 * errors; NaN and ±Infinity become null (JSON's rule).
 */
export const jsonCodec: Codec<unknown> = {
  name: 'json',
  encode(value: unknown, u8: Uint8Array, _dv: DataView, offset: number, maxBytes: number): number {
    let s: string | undefined;
    try {
      s = JSON.stringify(value);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (/BigInt/i.test(msg)) throw encodeError('jsonCodec', `a BigInt (JSON has no 64-bit integers; convert it to a string or a number first): ${msg}`, err);
      if (/circular/i.test(msg)) throw encodeError('jsonCodec', `a value with a cycle (it refers to itself): ${msg}`, err);
      throw encodeError('jsonCodec', `this value: ${msg}`, err);
    }
    if (s === undefined) {
      throw encodeError('jsonCodec', `${describe(value)} (JSON has no representation for it; use null)`);
    }
    return writeUtf8(s, u8, offset, maxBytes);
  },
  decode(u8: Uint8Array, _dv: DataView, offset: number, length: number): unknown {
    const s = bufferOf(u8).toString('utf8', offset, offset + length);
    try {
      return JSON.parse(s);
    } catch (err) {
      throw decodeError('jsonCodec', `${length} bytes at ${offset}: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  },
};

/** Raw bytes. decode copies (ring space is reused after release()). */
export const bytesCodec: Codec<Uint8Array> = {
  name: 'bytes',
  encode(value: Uint8Array, u8: Uint8Array, _dv: DataView, offset: number, maxBytes: number): number {
    if (!(value instanceof Uint8Array)) throw encodeError('bytesCodec', `${describe(value)}: expected a Uint8Array (or Buffer)`);
    const n = value.length;
    if (n > maxBytes) return -n;
    u8.set(value, offset);
    return n;
  },
  decode(u8: Uint8Array, _dv: DataView, offset: number, length: number): Uint8Array {
    return u8.slice(offset, offset + length); // slice() copies into a fresh, non-shared ArrayBuffer
  },
};

/** A string as UTF-8 (lone surrogates become U+FFFD, as TextEncoder does). */
export const stringCodec: Codec<string> = {
  name: 'string',
  encode(value: string, u8: Uint8Array, _dv: DataView, offset: number, maxBytes: number): number {
    if (typeof value !== 'string') throw encodeError('stringCodec', `${describe(value)}: expected a string`);
    return writeUtf8(value, u8, offset, maxBytes);
  },
  decode(u8: Uint8Array, _dv: DataView, offset: number, length: number): string {
    return bufferOf(u8).toString('utf8', offset, offset + length);
  },
};

export type StructField = 'f64' | 'f32' | 'i32' | 'u32' | 'i16' | 'u16' | 'i8' | 'u8' | 'bool';

type StructValue<S extends Record<string, StructField>> = { [K in keyof S]: S[K] extends 'bool' ? boolean : number };

const structFieldInfo: Record<StructField, { bytes: number; set: string; get: string }> = {
  f64: { bytes: 8, set: 'setFloat64', get: 'getFloat64' },
  f32: { bytes: 4, set: 'setFloat32', get: 'getFloat32' },
  i32: { bytes: 4, set: 'setInt32', get: 'getInt32' },
  u32: { bytes: 4, set: 'setUint32', get: 'getUint32' },
  i16: { bytes: 2, set: 'setInt16', get: 'getInt16' },
  u16: { bytes: 2, set: 'setUint16', get: 'getUint16' },
  i8: { bytes: 1, set: 'setInt8', get: 'getInt8' },
  u8: { bytes: 1, set: 'setUint8', get: 'getUint8' },
  bool: { bytes: 1, set: 'setUint8', get: 'getUint8' },
};

/** Byte layout of a struct codec: field offsets and total size (flatbuffers struct rules). */
export interface StructLayout {
  readonly fields: readonly { name: string; type: StructField; offset: number; bytes: number }[];
  readonly bytes: number;
  readonly align: number;
}

/** Computes the layout flatbuffers gives a struct with these fields: natural alignment, declaration order, size padded to the largest alignment. */
export function structLayout(fields: Record<string, StructField>): StructLayout {
  const out: { name: string; type: StructField; offset: number; bytes: number }[] = [];
  let offset = 0;
  let align = 1;
  for (const [name, type] of Object.entries(fields)) {
    const info = structFieldInfo[type];
    assert(info !== undefined, `structCodec: field "${name}" has unknown type "${String(type)}" (expected one of ${Object.keys(structFieldInfo).join(', ')})`);
    offset = (offset + info.bytes - 1) & ~(info.bytes - 1);
    out.push({ name, type, offset, bytes: info.bytes });
    offset += info.bytes;
    if (info.bytes > align) align = info.bytes;
  }
  assert(out.length > 0, 'structCodec: a struct needs at least one field');
  return { fields: out, bytes: (offset + align - 1) & ~(align - 1), align };
}

/**
 * A fixed-layout record of numbers and booleans, laid out by flatbuffers struct rules (natural
 * alignment, little-endian, fields in declaration order, zeroed padding): the same bytes flatc
 * generates for a `struct` with those fields. The fastest codec: encode and decode are
 * straight-line code generated once per codec (DataView accesses at constant offsets), decode
 * builds a plain object with a fixed shape.
 *
 * Numbers stored into integer fields are converted like typed-array stores (truncated, wrapped
 * modulo 2^bits); f32 rounds. A value that is not an object, or a field that is not a number
 * (boolean for 'bool'), is a WEIR_ENCODE error.
 */
export function structCodec<S extends Record<string, StructField>>(fields: S): Codec<StructValue<S>> {
  const layout = structLayout(fields);
  const size = layout.bytes;
  const enc: string[] = [];
  const dec: string[] = [];
  let cursor = 0;
  layout.fields.forEach((f, i) => {
    assert(f.name !== '__proto__', 'structCodec: a field may not be called "__proto__"');
    const key = JSON.stringify(f.name);
    const info = structFieldInfo[f.type];
    const want = f.type === 'bool' ? 'boolean' : 'number';
    for (; cursor < f.offset; cursor++) enc.push(`dv.setUint8(o + ${cursor}, 0);`); // padding
    enc.push(`const v${i} = v[${key}];`, `if (typeof v${i} !== '${want}') fail(v, ${key}, v${i}, '${want}');`);
    enc.push(f.type === 'bool' ? `dv.setUint8(o + ${f.offset}, v${i} ? 1 : 0);` : `dv.${info.set}(o + ${f.offset}, v${i}${f.bytes > 1 ? ', true' : ''});`);
    cursor = f.offset + f.bytes;
    const get = `dv.${info.get}(o + ${f.offset}${f.bytes > 1 ? ', true' : ''})`;
    dec.push(`${key}: ${f.type === 'bool' ? `${get} !== 0` : get}`);
  });
  for (; cursor < size; cursor++) enc.push(`dv.setUint8(o + ${cursor}, 0);`);

  const fail = (value: unknown, field: string, got: unknown, want: string): never => {
    if (value === null || typeof value !== 'object') throw encodeError('structCodec', `${describe(value)}: expected an object with fields ${layout.fields.map((f) => f.name).join(', ')}`);
    throw encodeError('structCodec', `field "${field}" = ${describe(got)}: expected a ${want}`);
  };
  const badLength = (length: number): never => {
    throw decodeError('structCodec', `${length} bytes: a struct takes exactly ${size}`);
  };
  // Field names enter the generated source only through JSON.stringify (a quoted string literal).
  const encode = new Function(
    'fail',
    `return function structEncode(v, u8, dv, o, max) {
  if (max < ${size}) return -${size};
  if (v === null || typeof v !== 'object') fail(v, '', v, 'object');
  ${enc.join('\n  ')}
  return ${size};
};`,
  )(fail) as Codec<StructValue<S>>['encode'];
  const decode = new Function(
    'badLength',
    `return function structDecode(u8, dv, o, length) {
  if (length !== ${size}) badLength(length);
  return { ${dec.join(', ')} };
};`,
  )(badLength) as Codec<StructValue<S>>['decode'];
  return { name: `struct{${layout.fields.map((f) => `${f.name}:${f.type}`).join(',')}}`, fixedBytes: size, encode, decode };
}

/**
 * For users with their own .fbs tables. `build` adds the value to the (reused, cleared) Builder
 * and returns the root table's offset; the finished buffer is copied into the ring. `read` gets a
 * ByteBuffer positioned on the root offset inside the RING's bytes — so it sees them only during
 * the call: copy out (into plain JS values) everything you keep, do not keep the table object or
 * the ByteBuffer. Per-record building costs ~1 µs; prefer structCodec for flat numeric records.
 */
export function flatbuffersCodec<T>(opts: { build(builder: flatbuffers.Builder, value: T): number; read(bb: flatbuffers.ByteBuffer): T; name?: string }): Codec<T> {
  const builder = new flatbuffers.Builder(1024);
  const byteBuffers = new WeakMap<Uint8Array, flatbuffers.ByteBuffer>();
  const name = opts.name ?? 'flatbuffers';
  return {
    name,
    encode(value: T, u8: Uint8Array, _dv: DataView, offset: number, maxBytes: number): number {
      builder.clear();
      let bytes: Uint8Array;
      try {
        const root = opts.build(builder, value);
        builder.finish(root);
        bytes = builder.asUint8Array();
      } catch (err) {
        if (err instanceof WeirError) throw err;
        throw encodeError(`${name} codec`, `${describe(value)}: build() threw: ${err instanceof Error ? err.message : String(err)}`, err);
      }
      const n = bytes.length;
      if (n > maxBytes) return -n;
      u8.set(bytes, offset);
      return n;
    },
    decode(u8: Uint8Array, _dv: DataView, offset: number, length: number): T {
      let bb = byteBuffers.get(u8);
      if (bb === undefined) {
        bb = new flatbuffers.ByteBuffer(u8);
        byteBuffers.set(u8, bb);
      }
      if (length < 4) throw decodeError(`${name} codec`, `${length} bytes: a flatbuffer needs at least 4`);
      bb.setPosition(offset);
      return opts.read(bb);
    },
  };
}
