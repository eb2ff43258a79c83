/** weir's connectors: sources, sinks, and the contracts between them and the runtime. */
export {
  END,
  type Offset,
  type SinkContext,
  type SinkSpec,
  type SinkWriter,
  type SourceContext,
  type SourceOutput,
  type SourceReader,
  type SourceSpec,
} from './types.ts';
export {
  generator,
  generatedEvent,
  generatorEventFields,
  generatorPartitionCount,
  generatorZipfKeysMax,
  type GeneratedEvent,
  type GeneratorOptions,
} from './generator.ts';
export {
  EmbeddedLog,
  LogCursor,
  RecordBatch,
  fillLogFromGenerator,
  logKeyHash,
  logRecordBytesMax,
  logSink,
  logSource,
  type EmbeddedLogOpenOptions,
  type LogCursorOptions,
  type LogMeta,
  type LogRecord,
  type LogRepair,
  type LogSinkOptions,
  type LogSourceOptions,
} from './embedded-log.ts';
export {
  jsonLinesSource,
  type JsonLinesPosition,
  type JsonLinesSourceOptions,
  type JsonLinesStats,
} from './jsonl-file.ts';
export {
  collect,
  consoleSink,
  deadLetterRecord,
  fileSink,
  fileSinkPath,
  type ConsoleSinkOptions,
  type DeadLetter,
  type FileSinkOptions,
  type LineFormat,
} from './sinks.ts';
