import { limits } from '../../limits.ts';
import type { ProducerMessage } from './kafkajs-internals.ts';

/** Bytes a record adds to a record batch, near enough: key, value, headers, and a record's own framing. */
function recordBytes(m: ProducerMessage): number {
  let bytes = 32 + size(m.key) + size(m.value);
  if (m.headers) for (const [k, v] of Object.entries(m.headers)) bytes += k.length + size(v);
  return bytes;
}

function size(v: Buffer | string | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

/**
 * Splits buffered records into sends of at most limits.kafkaSinkBufferRecordsMax records and
 * limits.kafkaSendBytesMax bytes, in order. A send becomes one record batch per partition, and a
 * broker refuses a batch over its message.max.bytes (1 MiB by default) with MESSAGE_TOO_LARGE —
 * which a fast job's flush of everything since the last one reached. A record larger than the
 * limit goes alone (the broker then says whether it takes it).
 */
export function* sendChunks(messages: ProducerMessage[]): Generator<ProducerMessage[]> {
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < messages.length; i++) {
    const b = recordBytes(messages[i]);
    if (i > start && (i - start >= limits.kafkaSinkBufferRecordsMax || bytes + b > limits.kafkaSendBytesMax)) {
      yield messages.slice(start, i);
      start = i;
      bytes = 0;
    }
    bytes += b;
  }
  if (start < messages.length) yield start === 0 ? messages : messages.slice(start);
}
