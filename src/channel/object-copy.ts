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
 * A record may be copied only when its encoded form surely fits the exchange's limit: the copy
 * counts an upper bound of objectCodec's bytes (its binary form: 9 bytes a number, 5 + 3 a UTF-16
 * unit a string) and gives up past the limit. Such records are rare and their trip is exact.
 */
import { notCopied } from './codec.ts';
import { hasKeys, isPlainObject } from './object-codec.ts';

/** How deep records and arrays are copied; deeper goes through bytes (a cycle must end somewhere). */
const copyNestingMax = 3;
/** Shapes (key lists) copied per thread; past it, records of new shapes go through bytes. */
const copyShapesMax = 256;

type CopyShape = (value: Record<string, unknown>, copier: ObjectCopier, depth: number) => unknown;

interface Shape {
  keys: string[];
  /** objectCodec's header bytes for the shape (tag, hash, key list). */
  headerBytes: number;
  copy: CopyShape;
  /** Per field, the shape of the record last nested there (or in its array): tried first. */
  nested: Array<Shape | undefined>;
}

export class ObjectCopier {
  private readonly shapes = new Map<string, Shape>();
  private last: Shape | undefined;
  /** Upper bound of the encoded bytes counted so far, and the most allowed. */
  private bytes = 0;
  private bytesMax = 0;

  copy(value: unknown, recordBytesMax: number): unknown {
    this.bytes = 0;
    this.bytesMax = recordBytesMax;
    if (!isPlainObject(value)) return this.field(value, undefined, 0, 0);
    const shape = this.shapeOf(value, this.last);
    if (shape === undefined) return notCopied;
    this.last = shape;
    return this.record(value, shape, 0);
  }

  /** A field's copy (of `shape`'s field i, or an element of the array there), or notCopied. Called by the shapes' copy functions. */
  field(v: unknown, shape: Shape | undefined, i: number, depth: number): unknown {
    switch (typeof v) {
      case 'number':
        this.bytes += 9;
        if (this.bytes > this.bytesMax) return notCopied;
        return Number.isFinite(v) ? (v === 0 ? 0 : v) : null;
      case 'string':
        this.bytes += 5 + 3 * v.length;
        return this.bytes > this.bytesMax ? notCopied : v;
      case 'boolean':
        this.bytes += 1;
        return this.bytes > this.bytesMax ? notCopied : v;
      case 'object': {
        if (v === null) {
          this.bytes += 1;
          return this.bytes > this.bytesMax ? notCopied : null;
        }
        if (depth >= copyNestingMax) return notCopied;
        if (Array.isArray(v)) return typeof (v as { toJSON?: unknown }).toJSON === 'function' ? notCopied : this.array(v, shape, i, depth + 1);
        if (!isPlainObject(v)) return notCopied;
        const inner = this.shapeOf(v, shape?.nested[i]);
        if (inner === undefined) return notCopied;
        if (shape !== undefined) shape.nested[i] = inner;
        this.bytes += 5;
        return this.record(v, inner, depth + 1);
      }
      default:
        return notCopied; // undefined, functions, symbols, BigInt
    }
  }

  private record(v: Record<string, unknown>, shape: Shape, depth: number): unknown {
    this.bytes += shape.headerBytes;
    return this.bytes > this.bytesMax ? notCopied : shape.copy(v, this, depth);
  }

  private array(v: unknown[], shape: Shape | undefined, i: number, depth: number): unknown {
    this.bytes += 5;
    const n = v.length;
    const out = new Array<unknown>(n);
    for (let j = 0; j < n; j++) {
      const element = this.field(v[j], shape, i, depth);
      if (element === notCopied) return notCopied;
      out[j] = element;
    }
    return out;
  }

  /** The shape whose keys `value` has, in order (`last` tried first); undefined when it is not copied. */
  private shapeOf(value: Record<string, unknown>, last: Shape | undefined): Shape | undefined {
    if (last !== undefined && hasKeys(value, last.keys)) return last;
    const keys = Object.keys(value);
    const id = keys.join('\0');
    let shape = this.shapes.get(id);
    if (shape === undefined) {
      if (keys.includes('__proto__') || this.shapes.size >= copyShapesMax) return undefined;
      shape = { keys, headerBytes: 7 + Buffer.byteLength(id, 'utf8'), copy: copyNothing, nested: [] };
      shape.copy = copyFunction(shape);
      this.shapes.set(id, shape);
    }
    return shape;
  }
}

const copyNothing: CopyShape = () => notCopied;

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
