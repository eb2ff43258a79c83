/** weir's connectors: sources, sinks, and the contracts between them and the runtime. */
export {
  END,
  type Offset,
  type JsonValue,
  type PreCommitContext,
  type SinkContext,
  type SinkGuarantee,
  type SinkRecovery,
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
export { EmbeddedLog, type EmbeddedLogOpenOptions, type LogRecord } from './embedded-log/log.ts';
export { LogCursor, type LogCursorOptions } from './embedded-log/cursor.ts';
export { RecordBatch, logRecordBytesMax, type LogMeta } from './embedded-log/format.ts';
export { type LogRepair } from './embedded-log/partition.ts';
export { logSource, type LogSourceOptions } from './embedded-log/source.ts';
export { logKeyHash, logSink, type LogSinkOptions } from './embedded-log/sink.ts';
export { fillLogFromGenerator } from './embedded-log/fill.ts';
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
export {
  transactionalFileSink,
  type TransactionalFileSinkOptions,
  type TransactionalFileSinkResult,
} from './transactional-file/sink.ts';
export { readCommittedLines } from './transactional-file/read.ts';
export { kafkaSource, kafkaSourceFor, kafkaPartitionCount, type KafkaSourceOptions, type KafkaStart } from './kafka/source.ts';
export { KafkaPartitionReader, createdHeader as kafkaCreatedHeader, type KafkaRecord } from './kafka/reader.ts';
export { kafkaSink, kafkaUpsertSink, type KafkaKey, type KafkaPartitioner, type KafkaSinkOptions, type KafkaUpsertSinkOptions } from './kafka/sink.ts';
export { type KafkaSinkNote, type KafkaTransactionNote } from './kafka/transactional-writer.ts';
export { type KafkaConnectionOptions } from './kafka/connection.ts';
export { type SchemaFormat } from './kafka/format.ts';
export { avroFormat, type AvroFormatOptions } from './kafka/avro-format.ts';
export { protobufFormat, type ProtobufFormatOptions } from './kafka/protobuf-format.ts';
export { SchemaRegistryClient, type RegisteredSchema, type SchemaRegistryOptions, type SchemaType } from './kafka/schema-registry.ts';
export { type KafkaFormat } from './kafka/format.ts';
export { murmur2, kafkaPartitionForKey } from '../util/murmur2.ts';
export { KafkaGroupMember, rangeAssignment, type GroupAssignment, type GroupMemberOptions } from './kafka/group-member.ts';
export { loadSource, kafkaLoadParam, isLoadSource, type KafkaLoad, type LoadSourceSpec } from './load-source.ts';
export {
  nexmarkSource,
  nexmarkEvents,
  nexmarkEvent,
  nexmarkPartitionCount,
  nexmarkEventTime,
  writeNexmarkJsonLines,
  writeNexmarkLog,
  nexmarkJsonLinesFile,
  type NexmarkEvent,
  type NexmarkOptions,
  type Person as NexmarkPerson,
  type Auction as NexmarkAuction,
  type Bid as NexmarkBid,
} from './nexmark/index.ts';
export { resultsSink, type ResultsSinkOptions } from './results-sink.ts';
