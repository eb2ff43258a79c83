export { run, type JobHandle, type JobResult } from './job/run.ts';
export { closeIdleThreads } from './job/thread-pools.ts';
export type { RunOptions, ResolvedOptions } from './options.ts';
export type { JobMetrics, OperatorMetrics, ChannelMetrics, SourcePartitionMetrics } from './metrics.ts';
export type { HttpOptions, HttpAddress } from '../http/endpoint.ts';
export type { StateQueryRange, StateQueryResult } from './job/state-query-client.ts';
export type { LatencyHistogram } from './instrumentation/sink-latency.ts';
export type { CheckpointStats, CompletedCheckpoint } from './job/checkpointer.ts';
