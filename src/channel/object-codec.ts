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
import type { Codec } from './codec.ts';
import { ObjectCopier } from './object-copy.ts';
import { ObjectDecoder } from './object-decoder.ts';
import { ObjectEncoder } from './object-encoder.ts';

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
