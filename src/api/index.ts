export { defineJob, StreamEnv, type JobDefinition, type JobSettings, type ExecutionMode } from './job.ts';
export { DataStream, KeyedStream, type OperatorOptions, type KeyByOptions } from './stream.ts';
export type { KeyedContext, KeyedProcessFunction, ValueState } from './functions.ts';
export type { Collector } from './graph.ts';
