/**
 * The default codec at exchanges: plain objects, numbers and strings in binary, everything else as
 * JSON text, exactly as jsonCodec writes it. It decodes to exactly what jsonCodec would (the same
 * values, keys in the same order, NaN/±Infinity as null, -0 as 0, nested values through JSON), and
 * fails on exactly what jsonCodec fails on, with jsonCodec's errors.
 *
 * A record's shape is its list of keys. A plain object whose fields are all numbers, strings,
 * booleans, null, such objects themselves or arrays of these (a flat record, the usual thing to key
 * and send on; one nested in another: a two-input operator's `{ side, value }`, a join's pair; a
 * record with a list: a batch's best bids) is written as
 *
 *   u8 1 · u32le hash of the key list · u16le key-list bytes · the key list (UTF-8, '\0'-separated)
 *   then per field: u8 tag · its bytes   (tag: i32 · f64 · string = u32le length + UTF-8 ·
 *                                         null · true · false · record = u32le length + a
 *                                         record written this way · array = u32le count + each
 *                                         element as a field; records and arrays up to nestingMax
 *                                         deep)
 *
 * a finite number as u8 2 · f64, a string as u8 3 · UTF-8 (one with a lone surrogate, which UTF-8
 * cannot carry, as JSON), and anything else as its JSON text, which never starts with bytes 1–3.
 * The binary form is not always shorter than the JSON (a small number takes 5 bytes, an array's
 * 1-digit number 2 in JSON): a record whose binary form would not fit in the frame where it goes
 * (the exchange's record limit, `recordBytesMax`; the smallest is 984 bytes) goes as JSON, so a
 * JSON line a source admitted against that limit still fits when it crosses. Without a limit given
 * the bound is shapedRecordBytesMax, below every exchange's. The key list travels with every record (about the bytes JSON
 * spends on keys), so a reader needs nothing from the writer in advance: each thread learns
 * shapes as they arrive, and builds one decoder function per shape (object literal, fixed keys:
 * V8 gives every decoded record the same hidden class), found by the hash and checked byte for
 * byte against the key list. Numbers and keys are not parsed from text, which is where JSON.parse
 * spends its time on records of a few fields (measured in docs/benchmarks.md).
 */
import { WeirError } from '../errors.ts';
import { jsonCodec, type Codec } from './codec.ts';
import { StringCache } from './string-cache.ts';
import { hashBytes } from '../util/hash.ts';
import { ObjectCopier } from './object-copy.ts';

/** The first byte of a shaped record, a number, a string; JSON text starts with one of `{["-0123456789tfn`. */
const TAG_SHAPED_RECORD = 1;
const TAG_NUMBER = 2;
const TAG_STRING = 3;
/** The longest shaped record when the caller gives no limit: below the smallest exchange limit (exchangeRecordBytesMax of the smallest ring). */
const shapedRecordBytesMax = 512;
/** The longest shaped record whatever the limit (the scratch a record that may not fit is measured in grows to it); longer ones go as JSON. */
const shapedRecordBytesCap = 1 << 16;

const FIELD_I32 = 0;
const FIELD_F64 = 1;
const FIELD_STRING = 2;
const FIELD_NULL = 3;
const FIELD_TRUE = 4;
const FIELD_FALSE = 5;
const FIELD_RECORD = 6;
const FIELD_ARRAY = 7;

/** How deep records and arrays may nest inside a shaped record; deeper (a cycle, a tree) goes as JSON. */
const nestingMax = 3;

/** Shapes learned per thread and direction; more distinct key lists than this go as JSON. */
const shapesMax = 256;
/** Keys of one shape; wider objects go as JSON. */
const shapeKeysMax = 64;

interface Shape {
  keys: string[];
  /** hash · length · key list, as written before the fields. */
  header: Buffer;
  /**
   * Records of this shape in a row that went as JSON (an array field, or too long). Past
   * jsonStreakMin the next ones go as JSON without trying: a shape that has such a field nearly
   * always has one, and trying costs a quarter of the JSON. Every jsonRetryEvery-th record tries
   * again.
   */
  jsonStreak: number;
  /** Per field, the shape of the record last nested there (or in its array): where the next one's is looked for first. */
  nested: Array<Shape | undefined>;
}

const jsonStreakMin = 8;
const jsonRetryEvery = 256;

const bufferViews = new WeakMap<Uint8Array, Buffer>();
function bufferOf(u8: Uint8Array): Buffer {
  let buf = bufferViews.get(u8);
  if (buf === undefined) {
    buf = Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
    bufferViews.set(u8, buf);
  }
  return buf;
}

/**
 * A string UTF-8 carries as it is. A lone surrogate would come back as U+FFFD, where JSON gives
 * it back: such a string goes as JSON.
 */
function isWellFormed(s: string): boolean {
  return (s as string & { isWellFormed(): boolean }).isWellFormed();
}

/** A finite number: tag · f64, 9 bytes (-0 as 0, as JSON gives it back). */
function encodeNumber(value: number, u8: Uint8Array, dv: DataView, offset: number, maxBytes: number): number {
  if (maxBytes < 9) return -9;
  u8[offset] = TAG_NUMBER;
  dv.setFloat64(offset + 1, value === 0 ? 0 : value, true);
  return 9;
}

/** A string: tag · UTF-8, never longer than its JSON (which adds at least two quotes). */
function encodeString(value: string, u8: Uint8Array, offset: number, maxBytes: number): number {
  const need = 1 + Buffer.byteLength(value, 'utf8');
  if (need > maxBytes) return -need;
  u8[offset] = TAG_STRING;
  bufferOf(u8).write(value, offset + 1, need - 1, 'utf8');
  return need;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}

/** Whether `value`'s own enumerable keys are `keys`, in order (for-in: no array of them is made). */
export function hasKeys(value: Record<string, unknown>, keys: readonly string[]): boolean {
  let i = 0;
  for (const k in value) if (keys[i++] !== k) return false;
  return i === keys.length;
}

class ObjectEncoder {
  private readonly shapes = new Map<string, Shape>();
  private last: Shape | undefined;
  /** Where a record that may not fit the room at hand is written to learn its size (grown to the longest asked for). */
  private scratch: Buffer = Buffer.allocUnsafe(shapedRecordBytesMax);

  encode(value: unknown, u8: Uint8Array, dv: DataView, offset: number, maxBytes: number, recordBytesMax = shapedRecordBytesMax): number {
    if (typeof value === 'number' && Number.isFinite(value)) return encodeNumber(value, u8, dv, offset, maxBytes);
    if (typeof value === 'string' && isWellFormed(value)) return encodeString(value, u8, offset, maxBytes);
    const shape = isPlainObject(value) ? this.shapeOf(value, this.last) : undefined;
    if (shape === undefined) return jsonCodec.encode(value, u8, dv, offset, maxBytes);
    this.last = shape;
    const streak = shape.jsonStreak;
    if (streak >= jsonStreakMin && streak % jsonRetryEvery !== 0) {
      shape.jsonStreak++;
      return jsonCodec.encode(value, u8, dv, offset, maxBytes);
    }
    // Straight into the room at hand; only a record that may not fit there is measured in scratch.
    const shapedMax = Math.min(recordBytesMax, shapedRecordBytesCap);
    const room = Math.min(maxBytes, shapedMax);
    let end = this.encodeShaped(value as Record<string, unknown>, shape, bufferOf(u8), offset, offset + room, 0);
    if (end === outOfRoom && room < shapedMax) {
      if (this.scratch.length < shapedMax) this.scratch = Buffer.allocUnsafe(shapedMax);
      end = this.encodeShaped(value as Record<string, unknown>, shape, this.scratch, 0, shapedMax, 0);
      if (end >= 0) {
        shape.jsonStreak = 0;
        return -end;
      }
    }
    if (end < 0) {
      // A field that needs JSON, or longer than the frame allows.
      shape.jsonStreak++;
      return jsonCodec.encode(value, u8, dv, offset, maxBytes);
    }
    shape.jsonStreak = 0;
    return end - offset;
  }

  /** The shape whose keys `value` has, in order (`last` is tried first); undefined when it cannot have one (JSON then). */
  private shapeOf(value: Record<string, unknown>, last: Shape | undefined): Shape | undefined {
    if (last !== undefined && hasKeys(value, last.keys)) return last;
    const keys = Object.keys(value);
    if (keys.length === 0 || keys.length > shapeKeysMax) return undefined;
    const id = keys.join('\0');
    let shape = this.shapes.get(id);
    if (shape === undefined) {
      // Own enumerable keys only (for-in above also walks the prototype: none for plain objects).
      if (keys.includes('__proto__') || this.shapes.size >= shapesMax) return undefined;
      const names = Buffer.from(id, 'utf8');
      if (names.length > 0xffff) return undefined;
      const header = Buffer.allocUnsafe(7 + names.length);
      header[0] = TAG_SHAPED_RECORD;
      header.writeUInt32LE(hashBytes(names, 0, names.length), 1);
      header.writeUInt16LE(names.length, 5);
      names.copy(header, 7);
      shape = { keys, header, jsonStreak: 0, nested: [] };
      this.shapes.set(id, shape);
    }
    return shape;
  }

  /**
   * Writes the record into `buf` from `start` (a nested one, `depth` deep), never at or past
   * `limit`; returns where it ends, notShaped when the whole record goes as JSON (a field needs
   * that), or outOfRoom when it does not fit before `limit`.
   */
  private encodeShaped(value: Record<string, unknown>, shape: Shape, buf: Buffer, start: number, limit: number, depth: number): number {
    const keys = shape.keys;
    const header = shape.header;
    let at = start + header.length;
    if (at > limit) return outOfRoom;
    for (let i = 0; i < header.length; i++) buf[start + i] = header[i]; // a loop: Buffer#copy's native call costs more for a few dozen bytes
    for (let i = 0; i < keys.length; i++) {
      at = this.encodeField(value[keys[i]], shape, i, buf, at, limit, depth);
      if (at < 0) return at;
    }
    return at;
  }

  /**
   * Field `i` of a `shape` record, or an element of the array there: tag · its bytes at `at`,
   * checking its room first (never a byte at or past limit). Returns where it ends, notShaped or
   * outOfRoom.
   */
  private encodeField(v: unknown, shape: Shape, i: number, buf: Buffer, at: number, limit: number, depth: number): number {
    switch (typeof v) {
      case 'number':
        if ((v | 0) === v) {
          // -0 too: it becomes 0, as in JSON.
          if (at + 5 > limit) return outOfRoom;
          buf[at] = FIELD_I32;
          buf.writeInt32LE(v, at + 1);
          return at + 5;
        }
        if (Number.isFinite(v)) {
          if (at + 9 > limit) return outOfRoom;
          buf[at] = FIELD_F64;
          buf.writeDoubleLE(v, at + 1);
          return at + 9;
        }
        if (at + 1 > limit) return outOfRoom;
        buf[at] = FIELD_NULL; // JSON's rule for NaN and ±Infinity
        return at + 1;
      case 'string':
        return writeString(v, buf, at, limit);
      case 'boolean':
        if (at + 1 > limit) return outOfRoom;
        buf[at] = v ? FIELD_TRUE : FIELD_FALSE;
        return at + 1;
      case 'object': {
        if (v === null) {
          if (at + 1 > limit) return outOfRoom;
          buf[at] = FIELD_NULL;
          return at + 1;
        }
        if (depth >= nestingMax) return notShaped;
        if (isPlainObject(v)) {
          const inner = this.shapeOf(v, shape.nested[i]);
          if (inner === undefined) return notShaped;
          shape.nested[i] = inner;
          if (at + 5 > limit) return outOfRoom;
          buf[at] = FIELD_RECORD;
          const end = this.encodeShaped(v, inner, buf, at + 5, limit, depth + 1);
          if (end < 0) return end;
          buf.writeUInt32LE(end - at - 5, at + 1);
          return end;
        }
        if (Array.isArray(v) && typeof (v as { toJSON?: unknown }).toJSON !== 'function') {
          if (at + 5 > limit) return outOfRoom;
          buf[at] = FIELD_ARRAY;
          buf.writeUInt32LE(v.length, at + 1);
          let end = at + 5;
          for (let j = 0; j < v.length && end >= 0; j++) end = this.encodeField(v[j], shape, i, buf, end, limit, depth + 1);
          return end;
        }
        // A Date, a class instance: the whole record goes as JSON, which is faster for it than a
        // JSON text per field (measured: whole Nexmark events, 30% slower that way).
        return notShaped;
      }
      default:
        // undefined (JSON drops the key, or writes null in an array), functions, symbols, BigInt
        // (JSON's error): as JSON.
        return notShaped;
    }
  }
}

/** encodeShaped's answers other than where the record ends. */
const notShaped = -1;
const outOfRoom = -2;

/**
 * Strings longer than this go through Buffer#write's native encoder when there is room for their
 * longest UTF-8: at 64 ASCII chars it takes ~70 ns where the loop below takes ~200, at 16 ~100
 * where the loop takes ~50 (Node 20, this machine).
 */
const nativeWriteChars = 32;

/**
 * A string field at `at`: tag · u32le length · UTF-8. Short ASCII strings are copied a char at a
 * time (faster than Buffer#write's native call for them); anything else goes through Buffer#write,
 * or the record as JSON when UTF-8 cannot carry it (a lone surrogate).
 */
function writeString(s: string, buf: Buffer, at: number, limit: number): number {
  const length = s.length;
  const first = at + 5;
  if (first + length > limit) return outOfRoom; // UTF-8 takes at least a byte per char
  if (length > nativeWriteChars && first + 3 * length <= limit) {
    // Room for 3 bytes a UTF-16 unit, the most UTF-8 takes: the whole string is written. Buffer#write
    // writes a lone surrogate as U+FFFD (3 bytes), so a string whose bytes are not its length is checked.
    const n = buf.write(s, first, 'utf8');
    if (n !== length && !isWellFormed(s)) return notShaped;
    buf[at] = FIELD_STRING;
    buf.writeUInt32LE(n, at + 1);
    return first + n;
  }
  let i = 0;
  for (; i < length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) break;
    buf[first + i] = c;
  }
  let n = length;
  if (i < length) {
    if (!isWellFormed(s)) return notShaped;
    n = Buffer.byteLength(s, 'utf8');
    if (first + n > limit) return outOfRoom;
    buf.write(s, first, n, 'utf8');
  }
  buf[at] = FIELD_STRING;
  buf.writeUInt32LE(n, at + 1);
  return first + n;
}

interface DecoderShape {
  names: Buffer;
  decode(buf: Buffer, dv: DataView, at: number, end: number): unknown;
}

/** Where the fields of the record being decoded are read next, and how a nested record is read. */
interface Cursor {
  at: number;
  record(buf: Buffer, dv: DataView, offset: number, length: number): unknown;
}

class ObjectDecoder {
  private readonly shapes = new Map<number, DecoderShape[]>();
  private readonly cursor: Cursor = { at: 0, record: (buf, dv, offset, length) => this.decodeRecord(buf, dv, offset, length) };

  decode(u8: Uint8Array, dv: DataView, offset: number, length: number): unknown {
    const tag = length < 1 ? -1 : u8[offset];
    if (tag === TAG_NUMBER && length === 9) return dv.getFloat64(offset + 1, true);
    if (tag === TAG_STRING) return bufferOf(u8).toString('utf8', offset + 1, offset + length);
    if (tag !== TAG_SHAPED_RECORD) return jsonCodec.decode(u8, dv, offset, length);
    return this.decodeRecord(bufferOf(u8), dv, offset, length);
  }

  /** A shaped record. Its fields are read with the one cursor: a nested record leaves it at its own end. */
  private decodeRecord(buf: Buffer, dv: DataView, offset: number, length: number): unknown {
    if (length < 7 || buf[offset] !== TAG_SHAPED_RECORD) throw decodeError(`${length} bytes at ${offset}: not a record it wrote`);
    const hash = dv.getUint32(offset + 1, true);
    const namesLength = dv.getUint16(offset + 5, true);
    const namesAt = offset + 7;
    const shape = this.shapeOf(buf, hash, namesAt, namesLength);
    return shape.decode(buf, dv, namesAt + namesLength, offset + length);
  }

  private shapeOf(buf: Buffer, hash: number, namesAt: number, namesLength: number): DecoderShape {
    const candidates = this.shapes.get(hash);
    if (candidates !== undefined) {
      for (const shape of candidates) if (sameBytes(shape.names, buf, namesAt, namesLength)) return shape;
    }
    const names = Buffer.from(buf.subarray(namesAt, namesAt + namesLength)); // a copy: the ring is reused
    const shape: DecoderShape = { names, decode: this.decoderFor(names.toString('utf8').split('\0')) };
    if (candidates === undefined) this.shapes.set(hash, [shape]);
    else candidates.push(shape);
    return shape;
  }

  /** One function per shape: reads the fields in order and returns an object literal with the shape's keys. */
  private decoderFor(keys: string[]): DecoderShape['decode'] {
    const cursor = this.cursor;
    const reads = keys.map((_, i) => `const v${i} = field(buf, dv, c, strings[${i}]);`).join('\n  ');
    // Keys enter the generated source only through JSON.stringify (a quoted string literal).
    const literal = keys.map((k, i) => `${JSON.stringify(k)}: v${i}`).join(', ');
    const strings = keys.map(() => new StringCache());
    return new Function(
      'field',
      'cursor',
      'overrun',
      'strings',
      `return function decodeShape(buf, dv, at, end) {
  const c = cursor;
  c.at = at;
  ${reads}
  if (c.at !== end) overrun(c.at, end);
  return { ${literal} };
};`,
    )(readField, cursor, overrun, strings) as DecoderShape['decode'];
  }
}

function readField(buf: Buffer, dv: DataView, c: Cursor, strings: StringCache): unknown {
  const at = c.at;
  switch (buf[at]) {
    case FIELD_I32:
      c.at = at + 5;
      return dv.getInt32(at + 1, true);
    case FIELD_F64:
      c.at = at + 9;
      return dv.getFloat64(at + 1, true);
    case FIELD_STRING: {
      const n = dv.getUint32(at + 1, true);
      c.at = at + 5 + n;
      return strings.read(buf, at + 5, n);
    }
    case FIELD_NULL:
      c.at = at + 1;
      return null;
    case FIELD_TRUE:
      c.at = at + 1;
      return true;
    case FIELD_FALSE:
      c.at = at + 1;
      return false;
    case FIELD_RECORD:
      return c.record(buf, dv, at + 5, dv.getUint32(at + 1, true)); // leaves c.at at its end (its decoder checks)
    case FIELD_ARRAY: {
      const n = dv.getUint32(at + 1, true);
      if (n > buf.length - at - 5) throw decodeError(`an array of ${n} elements at ${at}, past the end`); // each takes a byte at least
      c.at = at + 5;
      const list = new Array<unknown>(n);
      for (let j = 0; j < n; j++) list[j] = readField(buf, dv, c, strings);
      return list;
    }
    default:
      throw decodeError(`a field with tag ${buf[at]} at ${at}`);
  }
}

function overrun(at: number, end: number): never {
  throw decodeError(`a record: its fields end at ${at}, the record at ${end}`);
}

function decodeError(why: string): WeirError {
  return new WeirError('WEIR_DECODE', `objectCodec cannot decode ${why}`);
}

function sameBytes(names: Buffer, buf: Buffer, at: number, length: number): boolean {
  if (names.length !== length) return false;
  for (let i = 0; i < length; i++) if (names[i] !== buf[at + i]) return false;
  return true;
}

/**
 * A codec for any JSON value, binary for plain objects (see above). Each call makes a new one
 * (its learned shapes are its own): one per exchange direction and thread is what the runtime does.
 */
export function objectCodec(): Codec<unknown> {
  const encoder = new ObjectEncoder();
  const decoder = new ObjectDecoder();
  let copier: ObjectCopier | undefined;
  return {
    name: 'object',
    encode: (value, u8, dv, offset, maxBytes, recordBytesMax) => encoder.encode(value, u8, dv, offset, maxBytes, recordBytesMax),
    decode: (u8, dv, offset, length) => decoder.decode(u8, dv, offset, length),
    copy: (value, recordBytesMax, size) => (copier ??= new ObjectCopier()).copy(value, recordBytesMax, size),
  };
}
