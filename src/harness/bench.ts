import { run } from '../runtime/run.ts';
import { prepareKafkaLoad, type KafkaLoadTarget } from './kafka-load.ts';
import { WeirError } from '../errors.ts';
import { latencyStages } from './latency-recorder.ts';
import { summarize } from './latency-merge.ts';
import { captureEnvironment } from './environment.ts';
import { reportSchema, type BenchConfig, type BenchMode, type BenchReport, type BenchRun } from './report-types.ts';

/**
 * The experiment: run a job in each mode at each offered load, open loop, for a warm-up that is
 * not measured and then the measured duration, and report latency, throughput and the output.
 *
 * A bench job reads three parameters: `rate` (events/s offered, total), `seconds` (how long its
 * generator runs: warm-up + duration) and `seed`. examples/clicks.ts is one.
 */
export interface BenchOptions extends Omit<BenchConfig, 'job' | 'parallelism' | 'kafka'> {
  job: string | URL;
  parallelism?: number;
  /** Take the load from this Kafka topic, produced at the fixed rate while the job runs (kafka-load.ts); default: the embedded generator. */
  kafka?: KafkaLoadTarget;
  /** Called about 10× a second while a run is in progress. */
  onProgress?(p: { mode: BenchMode; ratePerSec: number; elapsedS: number; totalS: number; runIndex: number; runs: number }): void;
}

/**
 * A run kept up when it finished within this much of its schedule: the generator's last record is
 * due at warm-up + duration, so a job that keeps up completes shortly after it. A job whose lag
 * grows accumulates a backlog and finishes late by roughly that backlog (the source stage of the
 * latency breakdown shows the same backlog record by record).
 */
export function lateFinishAllowanceMs(microBatchIntervalMs: number): number {
  return Math.max(500, 3 * microBatchIntervalMs);
}

export async function runBench(opts: BenchOptions): Promise<BenchReport> {
  if (opts.modes.length === 0 || opts.ratesPerSec.length === 0) throw new WeirError('WEIR_CONFIG', 'bench: at least one mode and one rate');
  const rates = [...opts.ratesPerSec].sort((a, b) => a - b);
  const runs: BenchRun[] = [];
  let parallelism = opts.parallelism ?? 0;
  let runIndex = 0;
  for (const mode of opts.modes) {
    for (const ratePerSec of rates) {
      runIndex++;
      const totalS = opts.warmupS + opts.durationS;
      const params = { ...opts.params, rate: String(ratePerSec), seconds: String(totalS), seed: String(opts.seed) };
      const kafkaLoad = opts.kafka ? await prepareKafkaLoad(opts.job, params, opts.kafka) : undefined;
      const handle = await run(opts.job, {
        mode,
        parallelism: opts.parallelism,
        microBatchIntervalMs: opts.microBatchIntervalMs,
        params: kafkaLoad?.params ?? params,
        measureLatency: true,
        warmupMs: opts.warmupS * 1000,
        outputChecksum: true,
      });
      parallelism = handle.options.parallelism;
      const progress = setInterval(() => {
        opts.onProgress?.({ mode, ratePerSec, elapsedS: handle.metrics().elapsedMs / 1000, totalS, runIndex, runs: opts.modes.length * rates.length });
      }, 100);
      let result;
      try {
        result = kafkaLoad ? await (await kafkaLoad.start(handle)).finish() : await handle.done;
      } finally {
        clearInterval(progress);
      }
      const report = result.latency!;
      const endToEnd = summarize(report.latency.endToEnd);
      const lateMs = result.durationMs - totalS * 1000;
      const measuredS = Math.max(opts.durationS, result.durationMs / 1000 - opts.warmupS);
      const achievedRatePerSec = endToEnd.count / measuredS;
      runs.push({
        mode,
        offeredRatePerSec: ratePerSec,
        achievedRatePerSec,
        keptUp: lateMs <= lateFinishAllowanceMs(opts.microBatchIntervalMs),
        warmupS: opts.warmupS,
        durationS: opts.durationS,
        records: endToEnd.count,
        latency: {
          endToEnd,
          stages: Object.fromEntries(latencyStages.map((s) => [s, summarize(report.latency.stages[s])])),
        },
        throughputOverTime: report.throughputOverTime,
        outputChecksum: result.outputChecksum!,
      });
    }
  }
  const config: BenchConfig = {
    job: String(opts.job),
    params: opts.params,
    modes: opts.modes,
    ratesPerSec: rates,
    warmupS: opts.warmupS,
    durationS: opts.durationS,
    parallelism,
    microBatchIntervalMs: opts.microBatchIntervalMs,
    seed: opts.seed,
    p99BoundMs: opts.p99BoundMs,
    kafka: opts.kafka,
  };
  return {
    schema: reportSchema,
    createdAt: new Date().toISOString(),
    config,
    environment: captureEnvironment(),
    runs,
    maxSustainable: maxSustainable(runs, opts.modes, opts.p99BoundMs),
    notes: notes(runs, opts.microBatchIntervalMs),
  };
}

/** Per mode, the highest offered rate that kept up with p99 within the bound. */
export function maxSustainable(runs: BenchRun[], modes: BenchMode[], p99BoundMs: number): BenchReport['maxSustainable'] {
  const result: BenchReport['maxSustainable'] = {};
  for (const mode of modes) {
    const ok = runs.filter((r) => r.mode === mode && r.keptUp && r.latency.endToEnd.p99Ms <= p99BoundMs);
    const best = ok.sort((a, b) => b.offeredRatePerSec - a.offeredRatePerSec)[0];
    result[mode] = best ? { ratePerSec: best.offeredRatePerSec, p99Ms: best.latency.endToEnd.p99Ms } : null;
  }
  return result;
}

/**
 * The micro-batch latency model: a record waits for the next trigger (half an interval on
 * average, arrivals being uniform) and then for its whole batch to be processed and committed
 * (the epoch's duration), since output becomes visible only at the epoch end. With the measured
 * continuous median as the processing cost of one record, the prediction for the median is
 * interval/2 + until-visible median + continuous median.
 */
function notes(runs: BenchRun[], intervalMs: number): string[] {
  const out: string[] = [];
  for (const mb of runs.filter((r) => r.mode === 'micro-batch')) {
    const c = runs.find((r) => r.mode === 'continuous' && r.offeredRatePerSec === mb.offeredRatePerSec);
    const processingMs = c ? c.latency.endToEnd.p50Ms : 0;
    const predictedMs = intervalMs / 2 + mb.latency.stages['until-visible'].p50Ms + processingMs;
    const measuredMs = mb.latency.endToEnd.p50Ms;
    const offPct = ((measuredMs - predictedMs) / predictedMs) * 100;
    out.push(
      `micro-batch at ${mb.offeredRatePerSec} events/s: median ${measuredMs.toFixed(1)} ms; the model (interval/2 = ${(intervalMs / 2).toFixed(0)} ms + epoch commit wait ${mb.latency.stages['until-visible'].p50Ms.toFixed(1)} ms + processing ${processingMs.toFixed(2)} ms) predicts ${predictedMs.toFixed(1)} ms: ${offPct >= 0 ? '+' : ''}${offPct.toFixed(0)} %. ` +
        `The source stage (waiting for the trigger) has median ${mb.latency.stages.source.p50Ms.toFixed(1)} ms` +
        (mb.latency.stages.source.p50Ms < intervalMs / 2 - 1
          ? ` — below interval/2 because a batch reads until its sources run dry, so records that come due while it is being read join it instead of waiting for the next trigger; their commit wait and source wait overlap, which the model counts twice.`
          : '.'),
    );
    if (c) {
      const ratio = c.latency.endToEnd.p99Ms / mb.latency.endToEnd.p99Ms;
      out.push(`at ${mb.offeredRatePerSec} events/s continuous p99 is ${(ratio * 100).toFixed(1)} % of micro-batch p99 (${c.latency.endToEnd.p99Ms.toFixed(2)} ms against ${mb.latency.endToEnd.p99Ms.toFixed(1)} ms).`);
    }
  }
  const checksums = new Set(runs.map((r) => `${r.offeredRatePerSec}:${r.outputChecksum}`));
  const rates = new Set(runs.map((r) => r.offeredRatePerSec));
  if (checksums.size === rates.size) out.push('Both modes produced the same output (checksums equal at every rate).');
  else out.push('WARNING: the modes produced different output at some rate (checksums differ): the job is not deterministic, or a mode lost or duplicated records.');
  return out;
}
