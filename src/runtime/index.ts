export { run, type JobHandle, type JobResult } from './run.ts';
export type { RunOptions, ResolvedOptions } from './options.ts';
export type { JobMetrics, OperatorMetrics, ChannelMetrics, SourcePartitionMetrics } from './metrics.ts';
