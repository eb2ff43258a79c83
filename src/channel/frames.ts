import * as flatbuffers from 'flatbuffers';
import { WeirError } from '../errors.ts';
import type { Codec, CopySize } from './codec.ts';
import { Barrier } from './generated/barrier.ts';
import { EndOfStream } from './generated/end-of-stream.ts';
import { EpochEnd } from './generated/epoch-end.ts';
import { Watermark } from './generated/watermark.ts';
import { FrameKind, kFrameHeaderBytes, kFramePayloadBytesMask } from './layout.ts';
import { assert, limits } from '../limits.ts';
import type { RingReader, RingWriter } from './ring.ts';

/**
 * Writing and reading frames on a ring (layout in frames.fbs).
 *
 * Data frame payload: RecordMeta { offset, timestamp_ms, created_ms, sent_ms } as four
 * little-endian doubles (32 bytes, 8-aligned because every payload is), then the codec's bytes. The frame's aux
 * word is the record's source partition. The hot path reads and writes RecordMeta through the
 * ring's Float64Array (index = byte offset / 8), not through generated flatbuffers code.
 *
 * Control frame payload: a finished flatbuffer whose root table is the body for the frame kind.
 */

/** Bytes of the RecordMeta prefix of every Data frame. */
export const kRecordMetaBytes = 32;
// limits.exchangeRecordBytesMax (what sources check records against) counts on these sizes.
assert(kFrameHeaderBytes + kRecordMetaBytes === limits.frameRecordOverheadBytes, 'limits.frameRecordOverheadBytes is the frame header plus the record metadata');
assert((kFramePayloadBytesMask + 1) === limits.frameBytesMax, 'limits.frameBytesMax is what the payload length field holds');

const kData = FrameKind.Data;

/** A ring's frame limit: what tooLarge names. */
type FrameRoom = Pick<RingWriter, 'maxPayloadBytes' | 'capacityBytes'>;

function tooLarge(w: FrameRoom, needBytes: number, operator: string, partition: number, offset: number): WeirError {
  return new WeirError(
    'WEIR_RECORD_TOO_LARGE',
    `operator "${operator}": a record of ${needBytes - kRecordMetaBytes} encoded bytes (${needBytes} with its ${kRecordMetaBytes}-byte header), ${recordAt(partition, offset)}, does not fit in a frame of at most ${w.maxPayloadBytes} payload bytes (1/4 of a ${w.capacityBytes}-byte ring); raise ringCapacityBytes or make the record smaller`,
    { operator, partition, offset },
  );
}

/** Where the record came from, for the message. */
function recordAt(partition: number, offset: number): string {
  return `the record from source partition ${partition} at offset ${offset}`;
}

function encodeFailed(err: unknown, codec: Codec<unknown>, operator: string, partition: number, offset: number): WeirError {
  const msg = err instanceof Error ? err.message : String(err);
  return new WeirError('WEIR_ENCODE', `operator "${operator}" emitted a record the ${codec.name} codec cannot encode, ${recordAt(partition, offset)}: ${msg}`, {
    operator,
    partition,
    offset,
    cause: err,
  });
}

/**
 * Writes a Data frame (RecordMeta + codec bytes). Returns false if the ring has no room now (caller
 * waits, then calls again); throws WEIR_RECORD_TOO_LARGE (naming `operator`) if it can never fit,
 * WEIR_ENCODE on encode errors (naming `operator`). The frame is committed, not published: call
 * w.publish() after a batch (a full ring publishes by itself, see RingWriter.reserve).
 * `sentMs` is when the record entered this ring (NaN unless latency is being measured): the
 * receiver's clock minus it is the time the record waited in the ring.
 */
export function writeData<T>(
  w: RingWriter,
  codec: Codec<T>,
  value: T,
  partition: number,
  offset: number,
  timestampMs: number,
  createdMs: number,
  operator: string,
  sentMs = NaN,
): boolean {
  const fixed = codec.fixedBytes;
  let need = kRecordMetaBytes + (fixed === undefined ? 0 : fixed);
  if (need > w.maxPayloadBytes) throw tooLarge(w, need, operator, partition, offset);
  let p = w.reserve(need);
  if (p < 0) return false;
  let n: number;
  try {
    const recordBytesMax = w.maxPayloadBytes - kRecordMetaBytes;
    n = codec.encode(value, w.u8, w.dv, p + kRecordMetaBytes, w.reservedBytes - kRecordMetaBytes, recordBytesMax);
    if (n < 0) {
      // Did not fit in the contiguous room at hand: reserve exactly what it needs (maybe after a Pad).
      need = kRecordMetaBytes - n;
      if (need > w.maxPayloadBytes) throw tooLarge(w, need, operator, partition, offset);
      p = w.reserve(need);
      if (p < 0) return false;
      n = codec.encode(value, w.u8, w.dv, p + kRecordMetaBytes, w.reservedBytes - kRecordMetaBytes, recordBytesMax);
      if (n < 0) throw new Error(`codec ${codec.name} asked for ${-n} bytes, then did not fit in ${w.reservedBytes - kRecordMetaBytes}`);
    }
  } catch (err) {
    if (err instanceof WeirError && err.code === 'WEIR_RECORD_TOO_LARGE') throw err;
    throw encodeFailed(err, codec as Codec<unknown>, operator, partition, offset);
  }
  const f = p >> 3;
  const f64 = w.f64;
  f64[f] = offset;
  f64[f + 1] = timestampMs;
  f64[f + 2] = createdMs;
  f64[f + 3] = sentMs;
  w.commit(kData, partition, kRecordMetaBytes + n);
  return true;
}

/** RecordMeta.offset of the current Data frame of r (payload offset p). */
export function dataOffset(r: RingReader, p: number): number {
  return r.f64[p >> 3]!;
}

/** RecordMeta.timestamp_ms of the current Data frame of r (payload offset p). */
export function dataTimestamp(r: RingReader, p: number): number {
  return r.f64[(p >> 3) + 1]!;
}

/** RecordMeta.created_ms of the current Data frame of r (payload offset p). */
export function dataCreated(r: RingReader, p: number): number {
  return r.f64[(p >> 3) + 2]!;
}

/** RecordMeta.sent_ms of the current Data frame of r (payload offset p): when it entered the ring. */
export function dataSent(r: RingReader, p: number): number {
  return r.f64[(p >> 3) + 3]!;
}

/** Decodes the value of the current Data frame of r (payload offset p). Throws WEIR_DECODE if the codec cannot. */
export function readData<T>(r: RingReader, p: number, codec: Codec<T>): T {
  return decodeRecord(codec, r.u8, r.dv, p, r.payloadBytes);
}

/**
 * What a ring's reader would get for `value` written by writeData, without a ring: encoded into
 * `scratch` (maxPayloadBytes long, 8-aligned) and decoded, with writeData's errors (too large for
 * a frame of `room`, not encodable: naming `operator`) and readData's. `size.bytes`: the encoded bytes.
 */
export function roundTrip<T>(scratch: { u8: Uint8Array; dv: DataView }, room: FrameRoom, codec: Codec<T>, value: T, operator: string, partition: number, offset: number, size: CopySize): T {
  const { u8, dv } = scratch;
  const recordBytesMax = room.maxPayloadBytes - kRecordMetaBytes;
  if (codec.fixedBytes !== undefined && kRecordMetaBytes + codec.fixedBytes > room.maxPayloadBytes) throw tooLarge(room, kRecordMetaBytes + codec.fixedBytes, operator, partition, offset);
  let n: number;
  try {
    n = codec.encode(value, u8, dv, kRecordMetaBytes, recordBytesMax, recordBytesMax);
  } catch (err) {
    throw encodeFailed(err, codec as Codec<unknown>, operator, partition, offset);
  }
  if (n < 0) throw tooLarge(room, kRecordMetaBytes - n, operator, partition, offset);
  size.bytes = n;
  return decodeRecord(codec, u8, dv, 0, kRecordMetaBytes + n);
}

/** The value of a Data frame of `payloadBytes` whose payload starts at p. */
function decodeRecord<T>(codec: Codec<T>, u8: Uint8Array, dv: DataView, p: number, payloadBytes: number): T {
  const length = payloadBytes - kRecordMetaBytes;
  try {
    if (length < 0) throw new Error(`a Data frame of ${payloadBytes} bytes is shorter than its ${kRecordMetaBytes}-byte RecordMeta`);
    return codec.decode(u8, dv, p + kRecordMetaBytes, length);
  } catch (err) {
    if (err instanceof WeirError && err.code === 'WEIR_DECODE') throw err;
    throw new WeirError('WEIR_DECODE', `the ${codec.name} codec cannot decode a ${length}-byte record: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

export type ControlFrame =
  | { kind: typeof FrameKind.Watermark; timestampMs: number; idle: boolean }
  | { kind: typeof FrameKind.Barrier; checkpointId: bigint | number; timestampMs: number }
  | { kind: typeof FrameKind.EndOfStream; partition: number }
  | { kind: typeof FrameKind.EpochEnd; epoch: number };

/** One Builder for all control frames of this thread (control frames are rare; building is synchronous). */
const controlBuilder = new flatbuffers.Builder(64);

function toUint64(value: bigint | number, what: string): bigint {
  if (typeof value === 'bigint') {
    if (value < 0n || value > 0xffff_ffff_ffff_ffffn) throw new WeirError('WEIR_ENCODE', `${what} ${value} is not a uint64`);
    return value;
  }
  if (!Number.isSafeInteger(value) || value < 0) throw new WeirError('WEIR_ENCODE', `${what} ${value} is not a non-negative safe integer`);
  return BigInt(value);
}

/** A uint64 read back: a number when it is exactly representable (always, for ids that came in as numbers), else a bigint. */
function fromUint64(value: bigint): bigint | number {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/**
 * Writes a control frame. Control frames are rare: their bodies are flatbuffers tables (generated
 * code). Returns false if no room now. Like writeData, commits without publishing. The aux word
 * carries the partition for EndOfStream (0 otherwise),
 * so routing code can look at it without decoding the body.
 */
export function writeControl(w: RingWriter, frame: ControlFrame): boolean {
  const b = controlBuilder;
  b.clear();
  let root: number;
  let aux = 0;
  switch (frame.kind) {
    case FrameKind.Watermark:
      root = Watermark.createWatermark(b, frame.timestampMs, frame.idle);
      break;
    case FrameKind.Barrier:
      root = Barrier.createBarrier(b, toUint64(frame.checkpointId, 'checkpointId'), frame.timestampMs);
      break;
    case FrameKind.EndOfStream:
      root = EndOfStream.createEndOfStream(b, frame.partition);
      aux = frame.partition;
      break;
    case FrameKind.EpochEnd:
      root = EpochEnd.createEpochEnd(b, toUint64(frame.epoch, 'epoch'));
      break;
    default:
      throw new WeirError('WEIR_ENCODE', `not a control frame kind: ${(frame as { kind: unknown }).kind}`);
  }
  b.finish(root);
  const bytes = b.asUint8Array();
  const p = w.reserve(bytes.length);
  if (p < 0) return false;
  w.u8.set(bytes, p);
  w.commit(frame.kind, aux, bytes.length);
  return true;
}

/** A ByteBuffer over each ring's bytes, made once per ring view and repositioned per frame. */
const byteBuffers = new WeakMap<Uint8Array, flatbuffers.ByteBuffer>();
const watermarkTable = new Watermark();
const barrierTable = new Barrier();
const endOfStreamTable = new EndOfStream();
const epochEndTable = new EpochEnd();

/** Reads the current control frame of r (payload offset p; kind in r.kind). Throws WEIR_DECODE for a Data/unknown kind or a too-short body. */
export function readControl(r: RingReader, p: number): ControlFrame {
  let bb = byteBuffers.get(r.u8);
  if (bb === undefined) {
    bb = new flatbuffers.ByteBuffer(r.u8);
    byteBuffers.set(r.u8, bb);
  }
  if (r.payloadBytes < 8) throw new WeirError('WEIR_DECODE', `control frame of kind ${r.kind} has a ${r.payloadBytes}-byte body: too short for a flatbuffer table`);
  bb.setPosition(p);
  switch (r.kind) {
    case FrameKind.Watermark: {
      const t = Watermark.getRootAsWatermark(bb, watermarkTable);
      return { kind: FrameKind.Watermark, timestampMs: t.timestampMs(), idle: t.idle() };
    }
    case FrameKind.Barrier: {
      const t = Barrier.getRootAsBarrier(bb, barrierTable);
      return { kind: FrameKind.Barrier, checkpointId: fromUint64(t.checkpointId()), timestampMs: t.timestampMs() };
    }
    case FrameKind.EndOfStream: {
      const t = EndOfStream.getRootAsEndOfStream(bb, endOfStreamTable);
      return { kind: FrameKind.EndOfStream, partition: t.partition() };
    }
    case FrameKind.EpochEnd: {
      const t = EpochEnd.getRootAsEpochEnd(bb, epochEndTable);
      return { kind: FrameKind.EpochEnd, epoch: Number(t.epoch()) };
    }
    default:
      throw new WeirError('WEIR_DECODE', `frame kind ${r.kind} is not a control frame`);
  }
}
