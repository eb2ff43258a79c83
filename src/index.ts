/** weir's public API. */
export * from './api/index.ts';
export * from './runtime/index.ts';
export * from './connectors/index.ts';
export * from './time/index.ts';
export * from './cep/index.ts';
export { jsonCodec, bytesCodec, stringCodec, structCodec, flatbuffersCodec, type Codec } from './channel/codec.ts';
export { WeirError, type ErrorCode, type PlainError } from './errors.ts';
export { limits, exchangeRecordBytesMax } from './limits.ts';
