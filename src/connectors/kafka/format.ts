/** How Kafka record values become weir values (source) and back (sinks). */
import type { Codec } from '../../channel/codec.ts';
import { WeirError } from '../../errors.ts';

/** 'json': JSON.parse of the UTF-8 value; 'string': the UTF-8 text; 'bytes': the bytes (a Buffer, which is a Uint8Array); or a weir codec. */
export type KafkaFormat<T> = 'json' | 'string' | 'bytes' | Codec<T>;

export type Decoder<T> = (value: Buffer) => T;

export function decoder<T>(format: KafkaFormat<T> | undefined, who: string): Decoder<T> {
  if (format === undefined || format === 'json') return (b) => JSON.parse(b.toString('utf8')) as T;
  if (format === 'string') return (b) => b.toString('utf8') as T;
  // No copy: kafkajs hands out each value as its own slice of the fetch response, never reused.
  if (format === 'bytes') return (b) => b as unknown as T;
  if (typeof format === 'object' && typeof format.decode === 'function') {
    return (b) => format.decode(b, new DataView(b.buffer, b.byteOffset, b.byteLength), 0, b.byteLength);
  }
  throw new WeirError('WEIR_CONFIG', `${who}: format must be 'json', 'string', 'bytes' or a codec`);
}

export type Encoder<T> = (value: T) => Buffer | string;

const encodeScratchBytesMin = 256;

export function encoder<T>(format: KafkaFormat<T> | undefined, who: string): Encoder<T> {
  if (format === undefined || format === 'json') {
    return (v) => {
      let text: string | undefined;
      try {
        text = JSON.stringify(v);
      } catch (err) {
        throw new WeirError('WEIR_ENCODE', `${who}: value is not JSON-serialisable: ${(err as Error).message}`, { cause: err });
      }
      if (text === undefined) throw new WeirError('WEIR_ENCODE', `${who}: value ${String(v)} has no JSON form`);
      return text;
    };
  }
  if (format === 'string') return (v) => String(v);
  if (format === 'bytes') {
    return (v) => {
      if (!(v instanceof Uint8Array)) throw new WeirError('WEIR_ENCODE', `${who}: format 'bytes' needs Uint8Array values`);
      return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    };
  }
  if (typeof format === 'object' && typeof format.encode === 'function') {
    let scratch = Buffer.allocUnsafe(encodeScratchBytesMin);
    return (v) => {
      for (;;) {
        const dv = new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength);
        const n = format.encode(v, scratch, dv, 0, scratch.byteLength);
        if (n >= 0) return Buffer.from(scratch.subarray(0, n)); // a copy: scratch is reused by the next record
        scratch = Buffer.allocUnsafe(Math.max(-n, scratch.byteLength * 2));
      }
    };
  }
  throw new WeirError('WEIR_CONFIG', `${who}: value format must be 'json', 'string', 'bytes' or a codec`);
}
