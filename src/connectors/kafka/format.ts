/** How Kafka record values become weir values (source) and back (sinks). */
import type { Codec } from '../../channel/codec.ts';
import { WeirError } from '../../errors.ts';

/**
 * 'json': JSON.parse of the UTF-8 value; 'string': the UTF-8 text; 'bytes': the bytes (a Buffer,
 * which is a Uint8Array); a weir codec; or a schema-registry format (avroFormat, protobufFormat).
 */
export type KafkaFormat<T> = 'json' | 'string' | 'bytes' | Codec<T> | SchemaFormat<T>;

/**
 * A value format whose schemas live in a schema registry. Decoding and encoding are synchronous
 * (the source's poll, the sink's write); what they need from the registry is fetched before:
 * prepareDecode sees every fetched value before any is decoded (it fetches the writer schemas the
 * values name), prepareEncode runs at the sink's open (it registers the writer schema).
 */
export interface SchemaFormat<T> {
  readonly schemaFormat: 'avro' | 'protobuf';
  prepareDecode(values: ReadonlyArray<Buffer | null>): Promise<void>;
  /** Throws (the reason of a dead letter) when the value cannot be read. */
  decode(value: Buffer): T;
  prepareEncode(topic: string): Promise<void>;
  encode(value: T): Buffer;
}

export function isSchemaFormat<T>(format: KafkaFormat<T> | undefined): format is SchemaFormat<T> {
  return typeof format === 'object' && format !== null && 'schemaFormat' in format;
}

export type Decoder<T> = (value: Buffer) => T;

export function decoder<T>(format: KafkaFormat<T> | undefined, who: string): Decoder<T> {
  if (format === undefined || format === 'json') return (b) => JSON.parse(b.toString('utf8')) as T;
  if (format === 'string') return (b) => b.toString('utf8') as T;
  // No copy: kafkajs hands out each value as its own slice of the fetch response, never reused.
  if (format === 'bytes') return (b) => b as unknown as T;
  if (isSchemaFormat(format)) return (b) => format.decode(b);
  if (typeof format === 'object' && typeof format.decode === 'function') {
    return (b) => format.decode(b, new DataView(b.buffer, b.byteOffset, b.byteLength), 0, b.byteLength);
  }
  throw new WeirError('WEIR_CONFIG', `${who}: format must be 'json', 'string', 'bytes', a codec or a schema format (avroFormat, protobufFormat)`);
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
  if (isSchemaFormat(format)) return (v) => format.encode(v);
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
  throw new WeirError('WEIR_CONFIG', `${who}: value format must be 'json', 'string', 'bytes', a codec or a schema format (avroFormat, protobufFormat)`);
}
