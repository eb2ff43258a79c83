/**
 * objectCodec's reading side: records in the binary form object-codec.ts describes, one decoder
 * function per shape, learned from the records alone; anything else through jsonCodec.
 */
import { WeirError } from '../errors.ts';
import { jsonCodec } from './codec.ts';
import { StringCache } from './string-cache.ts';
import { bufferOf, FIELD_ARRAY, FIELD_F64, FIELD_FALSE, FIELD_I32, FIELD_NULL, FIELD_RECORD, FIELD_STRING, FIELD_TRUE, TAG_NUMBER, TAG_SHAPED_RECORD, TAG_STRING } from './object-format.ts';

interface DecoderShape {
  names: Buffer;
  /** The same bytes, read four at a time (sameBytes). */
  view: DataView;
  decode(buf: Buffer, dv: DataView, at: number, end: number): unknown;
}

/** Where the fields of the record being decoded are read next, and how a nested record is read. */
interface Cursor {
  at: number;
  record(buf: Buffer, dv: DataView, offset: number, length: number): unknown;
}

export class ObjectDecoder {
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
    const shape = this.shapeOf(buf, dv, hash, namesAt, namesLength);
    return shape.decode(buf, dv, namesAt + namesLength, offset + length);
  }

  private shapeOf(buf: Buffer, dv: DataView, hash: number, namesAt: number, namesLength: number): DecoderShape {
    const candidates = this.shapes.get(hash);
    if (candidates !== undefined) {
      for (const shape of candidates) if (sameBytes(shape, dv, buf, namesAt, namesLength)) return shape;
    }
    const names = Buffer.from(buf.subarray(namesAt, namesAt + namesLength)); // a copy: the ring is reused
    const shape: DecoderShape = { names, view: new DataView(names.buffer, names.byteOffset, names.byteLength), decode: this.decoderFor(names.toString('utf8').split('\0')) };
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

/** Four bytes at a time, then the rest: a record's key list is compared with its shape's at every record. */
function sameBytes(names: DecoderShape, dv: DataView, buf: Buffer, at: number, length: number): boolean {
  if (names.names.length !== length) return false;
  const own = names.view;
  let i = 0;
  for (; i + 4 <= length; i += 4) if (own.getUint32(i) !== dv.getUint32(at + i)) return false;
  const bytes = names.names;
  for (; i < length; i++) if (bytes[i] !== buf[at + i]) return false;
  return true;
}

