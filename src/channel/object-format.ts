/**
 * objectCodec's wire form, shared by its encoder, its decoder and its copier (object-codec.ts
 * describes it): the tags, the bounds, and what counts as a plain object.
 */

/** The first byte of a shaped record, a number, a string; JSON text starts with one of `{["-0123456789tfn`. */
export const TAG_SHAPED_RECORD = 1;
export const TAG_NUMBER = 2;
export const TAG_STRING = 3;
/** The longest shaped record when the caller gives no limit: below the smallest exchange limit (exchangeRecordBytesMax of the smallest ring). */
export const shapedRecordBytesMax = 512;
/** The longest shaped record whatever the limit (the scratch a record that may not fit is measured in grows to it); longer ones go as JSON. */
export const shapedRecordBytesCap = 1 << 16;

export const FIELD_I32 = 0;
export const FIELD_F64 = 1;
export const FIELD_STRING = 2;
export const FIELD_NULL = 3;
export const FIELD_TRUE = 4;
export const FIELD_FALSE = 5;
export const FIELD_RECORD = 6;
export const FIELD_ARRAY = 7;

/** How deep records and arrays may nest inside a shaped record; deeper (a cycle, a tree) goes as JSON. */
export const nestingMax = 3;

/** Shapes learned per thread and direction; more distinct key lists than this go as JSON. */
export const shapesMax = 256;
/** Keys of one shape; wider objects go as JSON. */
export const shapeKeysMax = 64;

const bufferViews = new WeakMap<Uint8Array, Buffer>();
export function bufferOf(u8: Uint8Array): Buffer {
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
export function isWellFormed(s: string): boolean {
  return (s as string & { isWellFormed(): boolean }).isWellFormed();
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}

/** Whether `value`'s own enumerable keys are `keys`, in order (for-in: no array of them is made). */
function hasKeys(value: Record<string, unknown>, keys: readonly string[]): boolean {
  let i = 0;
  for (const k in value) if (keys[i++] !== k) return false;
  return i === keys.length;
}

/**
 * The shapes (key lists) one thread has met, each made once by `make` from its keys and their
 * '\0'-joined id: the encoder's headers, the copier's copy functions. A record with a `__proto__`
 * key, or a key count outside [keysMin, keysMax], or past shapesMax shapes, has none.
 */
export class ShapeTable<S extends { readonly keys: string[] }> {
  private readonly shapes = new Map<string, S>();

  constructor(
    private readonly keysMin: number,
    private readonly keysMax: number,
    private readonly make: (keys: string[], id: string) => S | undefined,
  ) {}

  /** The shape whose keys `value` has, in order (`last` is tried first); undefined when it has none. */
  of(value: Record<string, unknown>, last: S | undefined): S | undefined {
    if (last !== undefined && hasKeys(value, last.keys)) return last;
    const keys = Object.keys(value);
    if (keys.length < this.keysMin || keys.length > this.keysMax) return undefined;
    const id = keys.join('\0');
    let shape = this.shapes.get(id);
    if (shape === undefined) {
      // Own enumerable keys only (for-in above also walks the prototype: none for plain objects).
      if (keys.includes('__proto__') || this.shapes.size >= shapesMax) return undefined;
      shape = this.make(keys, id);
      if (shape !== undefined) this.shapes.set(id, shape);
    }
    return shape;
  }
}

