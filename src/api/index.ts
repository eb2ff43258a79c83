export { defineJob, StreamEnv, type JobDefinition, type JobSettings, type ExecutionMode, type SourceOptions, type StateBackendKind } from './job.ts';
export { DataStream, KeyedStream, BroadcastStream, BroadcastConnectedStream, UnkeyedBroadcastConnectedStream, type OperatorOptions, type KeyByOptions } from './stream.ts';
export type { BroadcastState, ReadOnlyBroadcastState, BroadcastContext, ReadOnlyBroadcastContext, ReadOnlyBroadcastTimerContext, KeyedBroadcastProcessFunction, BroadcastProcessFunction, ReadOnlyBroadcastProcessContext, BroadcastOptions } from './broadcast.ts';
export type { MapAsyncOptions, AsyncRetry, AsyncMapFn, AsyncMapFunction } from './async-options.ts';
export { RunningStats, Ewma } from './running-stats.ts';
export type {
  AggregateFunction,
  AggregatingState,
  KeyedContext,
  KeyedProcessFunction,
  KeyedStateAccess,
  ListState,
  MapState,
  OnTimerContext,
  ProcessContext,
  ProcessFunction,
  ProcessFn,
  ReducingState,
  StateOptions,
  StateTtl,
  TimeDomain,
  TimerService,
  ValueState,
} from '../functions/contracts.ts';
export { WatermarkStrategy, type WatermarkGenerator, type TimestampAssigner } from '../time/watermarks.ts';
export type { Collector, ErrorPolicy } from './graph.ts';
export { WindowedStream, windowKeyedStream } from './windowed-stream.ts';
export {
  connect,
  coGroup,
  join,
  intervalJoin,
  ConnectedStreams,
  ConnectedKeyedStreams,
  WindowedCoGroup,
  WindowedJoin,
  IntervalJoined,
  type KeyedCoProcessFunction,
  type CoGroupFn,
  type Tagged,
} from './joins.ts';
