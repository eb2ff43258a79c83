/**
 * The job's metrics in the Prometheus text format, built with prom-client. Every metric is
 * filled by a collect() callback from one metrics() reading taken at scrape time: nothing is
 * counted on the data path, and a job that is never scraped pays nothing.
 *
 * Counters come from the current attempt's shared counters: after a restart they start again
 * from 0, which Prometheus' rate() and increase() read as a counter reset (weir_restarts_total
 * tells why).
 */
import type { CounterConfiguration, GaugeConfiguration } from 'prom-client';
import type { JobMetrics, JobState } from '../runtime/metrics.ts';
import { lazyRequire } from '../util/lazy-require.ts';

/** Loaded when a job first serves metrics (util/lazy-require.ts). */
const promClient = lazyRequire<typeof import('prom-client')>('prom-client');

const jobStates: readonly JobState[] = ['starting', 'running', 'stopping', 'restarting', 'finished', 'failed'];

/** Label values of one series, and its value. */
type Series = Array<[labels: Record<string, string | number>, value: number]>;

export interface JobMetricsExposition {
  /** The Content-Type of the text format. */
  readonly contentType: string;
  /** Reads the job's metrics once and renders them in the text format. */
  render(): Promise<string>;
}

/** The job's metrics, read from `readMetrics()` once per render. `info` labels weir_job_info. */
export function jobMetricsExposition(readMetrics: () => JobMetrics, info: { jobName: string; mode: string }): JobMetricsExposition {
  const { Counter, Gauge, Registry } = promClient();
  const registry = new Registry();
  // One reading per scrape, shared by every metric's collect(): prom-client calls them in turn
  // while it renders, so the first one reads and the rest reuse it.
  let reading: JobMetrics | undefined;
  const current = (): JobMetrics => (reading ??= readMetrics());

  const counter = <L extends string>(config: CounterConfiguration<L>, series: (m: JobMetrics) => Series): void => {
    new Counter<L>({
      ...config,
      registers: [registry],
      collect() {
        this.reset();
        for (const [labels, value] of series(current())) this.inc(labels as never, finite(value));
      },
    });
  };
  const gauge = <L extends string>(config: GaugeConfiguration<L>, series: (m: JobMetrics) => Series): void => {
    new Gauge<L>({
      ...config,
      registers: [registry],
      collect() {
        this.reset();
        for (const [labels, value] of series(current())) this.set(labels as never, finite(value));
      },
    });
  };
  const one = (value: number | undefined): Series => (value === undefined ? [] : [[{}, value]]);

  gauge({ name: 'weir_job_info', help: 'Always 1; the job name and execution mode as labels', labelNames: ['job', 'mode'] }, () => [[{ job: info.jobName, mode: info.mode }, 1]]);
  gauge({ name: 'weir_job_state', help: 'The job state: 1 for the current one, 0 for the others', labelNames: ['state'] }, (m) =>
    jobStates.map((state) => [{ state }, m.state === state ? 1 : 0]),
  );
  gauge({ name: 'weir_job_startup_seconds', help: 'From run() to every worker of the first attempt being ready (so far, while starting)' }, (m) => one(seconds(m.startupMs)));
  gauge({ name: 'weir_job_run_seconds', help: 'From the first readiness on, restarts included' }, (m) => one(seconds(m.runMs)));

  const operatorSeries = (m: JobMetrics, pick: 'recordsIn' | 'recordsOut'): Series =>
    m.operators.flatMap((op) => op.perWorker.map((w, worker): Series[number] => [{ operator: op.name, kind: op.kind, worker }, w[pick]]));
  counter({ name: 'weir_operator_records_in_total', help: 'Records an operator subtask received', labelNames: ['operator', 'kind', 'worker'] }, (m) => operatorSeries(m, 'recordsIn'));
  counter({ name: 'weir_operator_records_out_total', help: 'Records an operator subtask emitted', labelNames: ['operator', 'kind', 'worker'] }, (m) => operatorSeries(m, 'recordsOut'));
  gauge({ name: 'weir_operator_records_in_per_second', help: 'Records an operator received per second over about the last second, all workers (prefer rate(weir_operator_records_in_total))', labelNames: ['operator', 'kind'] }, (m) =>
    m.operators.map((op) => [{ operator: op.name, kind: op.kind }, op.recordsInPerSec]),
  );
  gauge({ name: 'weir_operator_records_out_per_second', help: 'Records an operator emitted per second over about the last second, all workers (prefer rate(weir_operator_records_out_total))', labelNames: ['operator', 'kind'] }, (m) =>
    m.operators.map((op) => [{ operator: op.name, kind: op.kind }, op.recordsOutPerSec]),
  );
  gauge({ name: 'weir_operator_watermark_seconds', help: 'The event-time watermark that reached an operator subtask (a source: that it emitted), in Unix seconds; absent before the first', labelNames: ['operator', 'kind', 'worker'] }, (m) =>
    m.operators.flatMap((op) => op.perWorker.flatMap((w, worker): Series => (w.watermarkMs === undefined ? [] : [[{ operator: op.name, kind: op.kind, worker }, w.watermarkMs / 1000]]))),
  );
  gauge({ name: 'weir_operator_watermark_lag_seconds', help: "Wall clock minus an operator's watermark (its slowest subtask's): how far event time is behind", labelNames: ['operator', 'kind'] }, (m) =>
    m.operators.flatMap((op): Series => (op.watermarkLagMs === undefined ? [] : [[{ operator: op.name, kind: op.kind }, op.watermarkLagMs / 1000]])),
  );

  const partitionLabels = ['source', 'partition', 'worker'] as const;
  counter({ name: 'weir_source_records_total', help: 'Records read from a source partition', labelNames: partitionLabels }, (m) =>
    m.sources.map((s) => [{ source: s.source, partition: s.partition, worker: s.worker }, s.records]),
  );
  gauge({ name: 'weir_source_records_per_second', help: 'Read rate of a source partition since the previous metrics reading (prefer rate(weir_source_records_total))', labelNames: partitionLabels }, (m) =>
    m.sources.map((s) => [{ source: s.source, partition: s.partition, worker: s.worker }, s.recordsPerSec]),
  );
  gauge({ name: 'weir_source_lag_records', help: 'Records of a source partition not read yet (Kafka: high watermark minus position); only sources that can tell', labelNames: partitionLabels }, (m) =>
    m.sources.filter((s) => s.lag !== undefined).map((s) => [{ source: s.source, partition: s.partition, worker: s.worker }, s.lag!]),
  );

  const channelLabels = ['exchange', 'from', 'to'] as const;
  const channelSeries = (m: JobMetrics, value: (c: JobMetrics['channels'][number]) => number): Series => m.channels.map((c) => [{ exchange: c.exchange, from: c.from, to: c.to }, value(c)]);
  gauge({ name: 'weir_channel_used_bytes', help: 'Bytes waiting in the ring from worker `from` to worker `to` of an exchange', labelNames: channelLabels }, (m) => channelSeries(m, (c) => c.usedBytes));
  gauge({ name: 'weir_channel_fill_ratio', help: 'The share of the ring capacity in use (0 to 1)', labelNames: channelLabels }, (m) => channelSeries(m, (c) => c.occupancy));
  counter({ name: 'weir_channel_blocked_seconds_total', help: 'Time the sender spent blocked because the ring was full (backpressure)', labelNames: channelLabels }, (m) =>
    channelSeries(m, (c) => c.blockedMs / 1000),
  );

  counter({ name: 'weir_dead_letters_total', help: 'Records sent to the dead-letter output, restarts included' }, (m) => one(m.deadLetters));
  counter({ name: 'weir_connection_retries_total', help: 'Retries of connectors while an outside system could not be reached (this attempt)' }, (m) => one(m.connectionRetries));
  counter({ name: 'weir_micro_batch_epochs_total', help: 'Micro-batch epochs completed by this run (0 in continuous mode)' }, (m) => one(m.epochsCompleted));
  counter({ name: 'weir_restarts_total', help: 'Restarts of the job after a failure' }, (m) => one(m.restarts?.length ?? 0));

  // Checkpoint metrics exist only for a job that checkpoints.
  const checkpoint = (m: JobMetrics, value: (c: NonNullable<JobMetrics['checkpoints']>) => number): Series => (m.checkpoints ? [[{}, value(m.checkpoints)]] : []);
  counter({ name: 'weir_checkpoints_completed_total', help: 'Checkpoints completed (this attempt)' }, (m) => checkpoint(m, (c) => c.completed));
  counter({ name: 'weir_checkpoints_incremental_total', help: 'Checkpoints in which some worker wrote a delta rather than a full snapshot (this attempt)' }, (m) => checkpoint(m, (c) => c.incremental));
  counter({ name: 'weir_checkpoint_duration_seconds_total', help: 'Time spent in completed checkpoints, trigger to durable metadata (this attempt)' }, (m) => checkpoint(m, (c) => c.totalDurationMs / 1000));
  gauge({ name: 'weir_checkpoint_last_id', help: 'The id of the last completed checkpoint' }, (m) => checkpoint(m, (c) => c.lastCompletedId));
  gauge({ name: 'weir_checkpoint_last_duration_seconds', help: 'The last completed checkpoint, trigger to durable metadata' }, (m) => checkpoint(m, (c) => c.lastDurationMs / 1000));
  gauge({ name: 'weir_checkpoint_last_alignment_seconds', help: "The last checkpoint's longest barrier alignment among the workers (continuous mode)" }, (m) => checkpoint(m, (c) => c.lastAlignmentMs / 1000));
  gauge({ name: 'weir_checkpoint_last_size_bytes', help: 'Bytes of state files the last checkpoint wrote' }, (m) => checkpoint(m, (c) => c.lastBytes));
  gauge({ name: 'weir_checkpoint_last_state_size_bytes', help: 'Bytes of every state file the last checkpoint names (the whole state)' }, (m) => checkpoint(m, (c) => c.lastStateBytes));
  gauge({ name: 'weir_watermark_drift_seconds', help: "Event time between the fastest and the slowest partition of a watermark-alignment group", labelNames: ['group'] }, (m) =>
    m.watermarkAlignment.map((g) => [{ group: g.group }, g.driftMs / 1000]),
  );
  gauge({ name: 'weir_watermark_paused_partitions', help: 'Source partitions paused because they ran more than the maximum drift ahead of the slowest', labelNames: ['group'] }, (m) =>
    m.watermarkAlignment.map((g) => [{ group: g.group }, g.pausedPartitions.length]),
  );
  registry.registerMetric(latencyMetric(current) as never);
  return {
    contentType: registry.contentType,
    async render() {
      reading = undefined;
      try {
        return await registry.metrics();
      } finally {
        reading = undefined;
      }
    },
  };
}

/**
 * weir_end_to_end_latency_seconds, a histogram whose buckets the workers count themselves
 * (sink-latency.ts): prom-client's Histogram can only observe values one by one, so this is a
 * metric of its own that renders the counts read at scrape time in the histogram's form.
 */
function latencyMetric(current: () => JobMetrics) {
  const name = 'weir_end_to_end_latency_seconds';
  return {
    name,
    help: 'From a record\'s creation at its source to a sink taking it (this attempt; records whose source gives no creation time are not counted)',
    type: 'histogram',
    aggregator: 'sum',
    get() {
      const { latency } = current();
      return {
        name,
        help: this.help,
        type: 'histogram',
        aggregator: 'sum',
        values: [
          ...latency.buckets.map((b) => ({ metricName: `${name}_bucket`, labels: { le: Number.isFinite(b.leMs) ? b.leMs / 1000 : '+Inf' }, value: b.count })),
          { metricName: `${name}_sum`, labels: {}, value: latency.sumMs / 1000 },
          { metricName: `${name}_count`, labels: {}, value: latency.count },
        ],
      };
    },
    reset() {},
  };
}

function seconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : ms / 1000;
}

/** prom-client refuses NaN and infinities in counters; a counter that cannot tell reads 0. */
function finite(value: number): number {
  return Number.isFinite(value) ? value : 0;
}
