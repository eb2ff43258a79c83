/** weir's public API. */
export * from './api/index.ts';
export * from './runtime/index.ts';
export { runScaledOut, type ScaleOutOptions, type ScaledOutJob, type ScaledOutRun } from './scale-out/scale-out.ts';
export * from './connectors/index.ts';
export * from './time/index.ts';
export * from './cep/index.ts';
export { jsonCodec, bytesCodec, stringCodec, structCodec, flatbuffersCodec, notCopied, type Codec, type CopySize } from './channel/codec.ts';
export { objectCodec } from './channel/object-codec.ts';
export { WeirError, type ErrorCode, type PlainError } from './errors.ts';
export { limits, exchangeRecordBytesMax } from './limits.ts';
