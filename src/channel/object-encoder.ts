/**
 * objectCodec's writing side: a record straight into the ring's free room, in the binary form
 * object-codec.ts describes, or as jsonCodec's text.
 */
import { jsonCodec } from './codec.ts';
import { hashBytes } from '../util/hash.ts';
import {
  bufferOf,
  FIELD_ARRAY,
  FIELD_F64,
  FIELD_FALSE,
  FIELD_I32,
  FIELD_NULL,
  FIELD_RECORD,
  FIELD_STRING,
  FIELD_TRUE,
  ShapeTable,
  isPlainObject,
  isWellFormed,
  nestingMax,
  shapedRecordBytesCap,
  shapedRecordBytesMax,
  shapeKeysMax,
  TAG_NUMBER,
  TAG_SHAPED_RECORD,
  TAG_STRING,
} from './object-format.ts';

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

/** An encoder's shape: its header (tag, hash, key list), made once; undefined when the key list is too long for it. */
function shapeWithHeader(keys: string[], id: string): Shape | undefined {
  const names = Buffer.from(id, 'utf8');
  if (names.length > 0xffff) return undefined;
  const header = Buffer.allocUnsafe(7 + names.length);
  header[0] = TAG_SHAPED_RECORD;
  header.writeUInt32LE(hashBytes(names, 0, names.length), 1);
  header.writeUInt16LE(names.length, 5);
  names.copy(header, 7);
  return { keys, header, jsonStreak: 0, nested: [] };
}

export class ObjectEncoder {
  private readonly shapes = new ShapeTable<Shape>(1, shapeKeysMax, shapeWithHeader);
  private last: Shape | undefined;
  /** Where a record that may not fit the room at hand is written to learn its size (grown to the longest asked for). */
  private scratch: Buffer = Buffer.allocUnsafe(shapedRecordBytesMax);
  private scratchView = new DataView(this.scratch.buffer, this.scratch.byteOffset, this.scratch.byteLength);

  encode(value: unknown, u8: Uint8Array, dv: DataView, offset: number, maxBytes: number, recordBytesMax = shapedRecordBytesMax): number {
    if (typeof value === 'number' && Number.isFinite(value)) return encodeNumber(value, u8, dv, offset, maxBytes);
    if (typeof value === 'string' && isWellFormed(value)) return encodeString(value, u8, offset, maxBytes);
    const shape = isPlainObject(value) ? this.shapes.of(value, this.last) : undefined;
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
    let end = this.encodeShaped(value as Record<string, unknown>, shape, bufferOf(u8), dv, offset, offset + room, 0);
    if (end === outOfRoom && room < shapedMax) {
      if (this.scratch.length < shapedMax) {
        this.scratch = Buffer.allocUnsafe(shapedMax);
        this.scratchView = new DataView(this.scratch.buffer, this.scratch.byteOffset, this.scratch.byteLength);
      }
      end = this.encodeShaped(value as Record<string, unknown>, shape, this.scratch, this.scratchView, 0, shapedMax, 0);
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

  /**
   * Writes the record into `buf` from `start` (a nested one, `depth` deep), never at or past
   * `limit`; returns where it ends, notShaped when the whole record goes as JSON (a field needs
   * that), or outOfRoom when it does not fit before `limit`.
   */
  private encodeShaped(value: Record<string, unknown>, shape: Shape, buf: Buffer, dv: DataView, start: number, limit: number, depth: number): number {
    const keys = shape.keys;
    const header = shape.header;
    let at = start + header.length;
    if (at > limit) return outOfRoom;
    buf.set(header, start);
    for (let i = 0; i < keys.length; i++) {
      at = this.encodeField(value[keys[i]], shape, i, buf, dv, at, limit, depth);
      if (at < 0) return at;
    }
    return at;
  }

  /**
   * Field `i` of a `shape` record, or an element of the array there: tag · its bytes at `at`,
   * checking its room first (never a byte at or past limit). Returns where it ends, notShaped or
   * outOfRoom.
   */
  private encodeField(v: unknown, shape: Shape, i: number, buf: Buffer, dv: DataView, at: number, limit: number, depth: number): number {
    switch (typeof v) {
      case 'number':
        if ((v | 0) === v) {
          // -0 too: it becomes 0, as in JSON.
          if (at + 5 > limit) return outOfRoom;
          buf[at] = FIELD_I32;
          dv.setInt32(at + 1, v, true);
          return at + 5;
        }
        if (Number.isFinite(v)) {
          if (at + 9 > limit) return outOfRoom;
          buf[at] = FIELD_F64;
          dv.setFloat64(at + 1, v, true);
          return at + 9;
        }
        if (at + 1 > limit) return outOfRoom;
        buf[at] = FIELD_NULL; // JSON's rule for NaN and ±Infinity
        return at + 1;
      case 'string':
        return writeString(v, buf, dv, at, limit);
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
          const inner = this.shapes.of(v, shape.nested[i]);
          if (inner === undefined) return notShaped;
          shape.nested[i] = inner;
          if (at + 5 > limit) return outOfRoom;
          buf[at] = FIELD_RECORD;
          const end = this.encodeShaped(v, inner, buf, dv, at + 5, limit, depth + 1);
          if (end < 0) return end;
          dv.setUint32(at + 1, end - at - 5, true);
          return end;
        }
        if (Array.isArray(v) && typeof (v as { toJSON?: unknown }).toJSON !== 'function') {
          if (at + 5 > limit) return outOfRoom;
          buf[at] = FIELD_ARRAY;
          dv.setUint32(at + 1, v.length, true);
          let end = at + 5;
          for (let j = 0; j < v.length && end >= 0; j++) end = this.encodeField(v[j], shape, i, buf, dv, end, limit, depth + 1);
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
function writeString(s: string, buf: Buffer, dv: DataView, at: number, limit: number): number {
  const length = s.length;
  const first = at + 5;
  if (first + length > limit) return outOfRoom; // UTF-8 takes at least a byte per char
  if (length > nativeWriteChars && first + 3 * length <= limit) {
    // Room for 3 bytes a UTF-16 unit, the most UTF-8 takes: the whole string is written. Buffer#write
    // writes a lone surrogate as U+FFFD (3 bytes), so a string whose bytes are not its length is checked.
    const n = buf.write(s, first, 'utf8');
    if (n !== length && !isWellFormed(s)) return notShaped;
    buf[at] = FIELD_STRING;
    dv.setUint32(at + 1, n, true);
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
  dv.setUint32(at + 1, n, true);
  return first + n;
}

