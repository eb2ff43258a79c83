/**
 * objectCodec's copy: what decoding a record's bytes would give, made without the bytes. A worker's
 * records to itself take it (runtime/worker/local-channel.ts): half the records of a keyBy on two
 * workers, which otherwise pay an encode and a decode to stay in the same thread.
 *
 * objectCodec gives back what JSON would (object-codec.ts), so the copy is JSON's round trip, made
 * directly: plain objects (same keys, same order) and arrays copied, finite numbers as they are
 * (-0 as 0), NaN and ±Infinity as null, strings, booleans and null as they are. Anything where
 * the bytes could tell more — undefined, a Date or a class instance, toJSON, BigInt, a cycle
 * (nesting past copyNestingMax), a `__proto__` key, a record that may be too large for the
 * exchange — is notCopied: it takes the trip through bytes, with its errors. Whether a record is
 * copied therefore changes nothing a reader sees.
 *
 * A record may be copied only when its bytes surely fit the exchange's limit, whichever form
 * objectCodec would write — binary, or JSON (which it picks for a while for a shape that needed
 * it lately): the copy counts an upper bound of each (binary: 9 bytes a number, 5 + 3 a UTF-16
 * unit a string; JSON: 24 a number, 2 + 6 a unit a string, quotes, colons and commas) and gives up
 * past the limit. Such records are rare and their trip is exact. The binary bound is the size a
 * copy reports (Codec.copy's `size`): at least what a ring holds of a record objectCodec writes in
 * binary, about what it holds of anything else.
 */
import { notCopied, type CopySize } from './codec.ts';
import { isPlainObject, ShapeTable } from './object-format.ts';

/** How deep records and arrays are copied; deeper goes through bytes (a cycle must end somewhere). */
const copyNestingMax = 3;

type CopyShape = (value: Record<string, unknown>, copier: ObjectCopier, depth: number) => unknown;

/** The longest JSON of a number ("-1.7976931348623157e+308"), of a string per UTF-16 unit ("\\u0000"), of true, false and null. */
const jsonNumberBytesMax = 24;
const jsonBytesPerUnitMax = 6;
const jsonLiteralBytesMax = 5;

interface Shape {
  keys: string[];
  /** objectCodec's header bytes for the shape (tag, hash, key list). */
  headerBytes: number;
  /** At most the JSON of the shape without its values: braces, quoted keys, colons, commas. */
  jsonBytes: number;
  copy: CopyShape;
  /** Per field, the shape of the record last nested there (or in its array): tried first. */
  nested: Array<Shape | undefined>;
}

export class ObjectCopier {
  private readonly shapes = new ShapeTable<Shape>(0, Number.POSITIVE_INFINITY, copyShape);
  private last: Shape | undefined;
  /** Upper bounds of the binary and the JSON bytes counted so far, and the most allowed of each. */
  private bytes = 0;
  private jsonBytes = 0;
  private bytesMax = 0;

  copy(value: unknown, recordBytesMax: number, size: CopySize): unknown {
    this.bytes = 0;
    this.jsonBytes = 0;
    this.bytesMax = recordBytesMax;
    let copy: unknown;
    if (!isPlainObject(value)) {
      copy = this.field(value, undefined, 0, 0);
    } else {
      const shape = this.shapes.of(value, this.last);
      if (shape === undefined) return notCopied;
      this.last = shape;
      copy = this.record(value, shape, 0);
    }
    size.bytes = this.bytes;
    return copy;
  }

  /** A field's copy (of `shape`'s field i, or an element of the array there), or notCopied. Called by the shapes' copy functions. */
  field(v: unknown, shape: Shape | undefined, i: number, depth: number): unknown {
    switch (typeof v) {
      case 'number':
        return this.counted(9, jsonNumberBytesMax) ? (Number.isFinite(v) ? (v === 0 ? 0 : v) : null) : notCopied;
      case 'string':
        return this.counted(5 + 3 * v.length, 2 + jsonBytesPerUnitMax * v.length) ? v : notCopied;
      case 'boolean':
        return this.counted(1, jsonLiteralBytesMax) ? v : notCopied;
      case 'object': {
        if (v === null) return this.counted(1, jsonLiteralBytesMax) ? null : notCopied;
        if (depth >= copyNestingMax) return notCopied;
        if (Array.isArray(v)) return typeof (v as { toJSON?: unknown }).toJSON === 'function' ? notCopied : this.array(v, shape, i, depth + 1);
        if (!isPlainObject(v)) return notCopied;
        const inner = this.shapes.of(v, shape?.nested[i]);
        if (inner === undefined) return notCopied;
        if (shape !== undefined) shape.nested[i] = inner;
        return this.counted(5, 0) ? this.record(v, inner, depth + 1) : notCopied;
      }
      default:
        return notCopied; // undefined, functions, symbols, BigInt
    }
  }

  private record(v: Record<string, unknown>, shape: Shape, depth: number): unknown {
    return this.counted(shape.headerBytes, shape.jsonBytes) ? shape.copy(v, this, depth) : notCopied;
  }

  private array(v: unknown[], shape: Shape | undefined, i: number, depth: number): unknown {
    const n = v.length;
    if (!this.counted(5, 2 + n)) return notCopied; // brackets and commas
    const out = new Array<unknown>(n);
    for (let j = 0; j < n; j++) {
      const element = this.field(v[j], shape, i, depth);
      if (element === notCopied) return notCopied;
      out[j] = element;
    }
    return out;
  }

  /** Counts what a value adds to each form; false when either would pass the limit. */
  private counted(bytes: number, jsonBytes: number): boolean {
    this.bytes += bytes;
    this.jsonBytes += jsonBytes;
    return this.bytes <= this.bytesMax && this.jsonBytes <= this.bytesMax;
  }
}

const copyNothing: CopyShape = () => notCopied;

/** A copier's shape: the header and JSON bytes it counts, and its copy function, made once. */
function copyShape(keys: string[], id: string): Shape {
  const jsonBytes = 2 + keys.reduce((sum, k) => sum + 2 + jsonBytesPerUnitMax * k.length + 2, 0); // {} and per key "k":,
  const shape: Shape = { keys, headerBytes: 7 + Buffer.byteLength(id, 'utf8'), jsonBytes, copy: copyNothing, nested: [] };
  shape.copy = copyFunction(shape);
  return shape;
}

/**
 * One function per shape: copies the fields in order into an object literal with the shape's keys
 * (V8 gives every copy the same hidden class, as objectCodec's decoder does), or gives notCopied.
 */
function copyFunction(shape: Shape): CopyShape {
  // Keys enter the generated source only through JSON.stringify (a quoted string literal).
  const reads = shape.keys
    .map((k, i) => `const v${i} = copier.field(value[${JSON.stringify(k)}], shape, ${i}, depth); if (v${i} === no) return no;`)
    .join('\n  ');
  const literal = shape.keys.map((k, i) => `${JSON.stringify(k)}: v${i}`).join(', ');
  return new Function('no', 'shape', `return function copyShape(value, copier, depth) {\n  ${reads}\n  return { ${literal} };\n};`)(notCopied, shape) as CopyShape;
}
