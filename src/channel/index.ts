/**
 * Channels: single-producer/single-consumer rings of frames in SharedArrayBuffers, the doorbells
 * threads park on, the frame formats (frames.fbs) and the pluggable payload codecs.
 */
export { Doorbells } from './doorbell.ts';
export {
  FrameKind,
  frameBytes,
  kFrameAlignBytes,
  kFrameHeaderBytes,
  kRingHeaderBytes,
} from './layout.ts';
export { initRing, maxPayloadBytesFor, ringByteLength, ringUsedBytes, RingReader, RingWriter } from './ring.ts';
export {
  bytesCodec,
  flatbuffersCodec,
  jsonCodec,
  stringCodec,
  structCodec,
  structLayout,
  notCopied,
  type Codec,
  type CopySize,
  type StructField,
  type StructLayout,
} from './codec.ts';
export {
  dataCreated,
  dataOffset,
  dataTimestamp,
  kRecordMetaBytes,
  readControl,
  readData,
  writeControl,
  writeData,
  type ControlFrame,
} from './frames.ts';
