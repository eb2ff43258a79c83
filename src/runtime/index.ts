export { run, type JobHandle, type JobResult } from './run.ts';
export type { RunOptions, ResolvedOptions } from './options.ts';
export type { JobMetrics, OperatorMetrics, ChannelMetrics, SourcePartitionMetrics } from './metrics.ts';
export { runScaledOut, type ScaleOutOptions, type ScaledOutJob, type ScaledOutRun } from './scale-out.ts';
export type { HttpOptions, HttpAddress } from '../http/endpoint.ts';
export type { StateQueryRange, StateQueryResult } from './state-query-client.ts';
export type { LatencyHistogram } from './sink-latency.ts';
export type { CheckpointStats, CompletedCheckpoint } from './checkpointer.ts';
