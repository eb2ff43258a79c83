/**
 * The Confluent wire format of a Kafka record value written against a schema registry: magic byte
 * 0, the schema's id as a 4-byte big-endian integer, then the serialized body (Avro binary; for
 * Protobuf a message-index array comes first).
 */
import { limits } from '../../limits.ts';

const magicByte = 0;

/** The schema id of a value in the wire format; throws (the reason of a dead letter) when the value is not in it. */
export function wireSchemaId(value: Buffer): number {
  if (value.length < limits.confluentWireHeaderBytes) {
    throw new Error(`the value has ${value.length} bytes, fewer than the Confluent wire format's 5-byte header (magic byte, schema id)`);
  }
  if (value[0] !== magicByte) throw new Error(`the value does not start with the Confluent wire format's magic byte 0 (it starts with ${value[0]})`);
  return value.readUInt32BE(1);
}

/**
 * The schema ids of the values in the wire format that `known` does not know yet, each once. A
 * value not in the wire format is skipped: decoding it says why.
 */
export function unknownSchemaIds(values: Iterable<Buffer | null>, known: (id: number) => boolean): Set<number> {
  const ids = new Set<number>();
  for (const value of values) {
    if (value === null || value.length < limits.confluentWireHeaderBytes || value[0] !== magicByte) continue;
    const id = value.readUInt32BE(1);
    if (!known(id)) ids.add(id);
  }
  return ids;
}

/** The 5-byte header naming schema `id`. */
export function wireHeader(id: number): Buffer {
  const header = Buffer.alloc(limits.confluentWireHeaderBytes);
  header[0] = magicByte;
  header.writeUInt32BE(id, 1);
  return header;
}
