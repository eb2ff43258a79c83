export { run, type JobHandle, type JobResult } from './job/run.ts';
export type { RunOptions, ResolvedOptions } from './options.ts';
export type { JobMetrics, OperatorMetrics, ChannelMetrics, SourcePartitionMetrics } from './metrics.ts';
export type { HttpOptions, HttpAddress } from '../http/endpoint.ts';
