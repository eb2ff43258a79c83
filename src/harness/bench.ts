import { run } from '../runtime/job/run.ts';
import { prepareKafkaLoad, type KafkaLoadTarget } from './kafka-load.ts';
import { WeirError } from '../errors.ts';
import { latencyStages } from '../runtime/instrumentation/latency-recorder.ts';
import { summarize } from '../runtime/instrumentation/latency-merge.ts';
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
  if (!(opts.durationS > 0) || !(opts.warmupS >= 0)) throw new WeirError('WEIR_CONFIG', `bench: the measured duration must be > 0 s and the warm-up ≥ 0 s (got ${opts.durationS} s and ${opts.warmupS} s)`);
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
      if (endToEnd.count === 0) throw nothingMeasured(mode, ratePerSec, opts, result.metrics.sources.reduce((a, s) => a + s.records, 0));
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

/**
 * A run whose sinks received no record created after the warm-up: the report would be empty and
 * every comparison vacuous, so the bench fails instead. Usually the job ignores the `rate` and
 * `seconds` parameters and finishes (or never starts emitting) within the warm-up.
 */
function nothingMeasured(mode: BenchMode, ratePerSec: number, opts: BenchOptions, recordsRead: number): WeirError {
  const run = `the ${mode} run at ${ratePerSec.toLocaleString('en')} events/s`;
  const why =
    recordsRead === 0
      ? 'its sources read no record'
      : `its sources read ${recordsRead.toLocaleString('en')} records, all created within the ${opts.warmupS} s warm-up, so none was measured`;
  return new WeirError(
    'WEIR_CONFIG',
    `bench: ${run} measured no record: ${why}. A bench job must generate its load from the parameters rate (events/s), seconds and seed, as examples/clicks.ts does`,
  );
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
  out.push(outputComparison(runs));
  return out;
}

/** Compares the output of the modes at each rate where more than one mode ran; never claims agreement for runs that were not compared. */
export function outputComparison(runs: BenchRun[]): string {
  const byRate = new Map<number, BenchRun[]>();
  for (const r of runs) byRate.set(r.offeredRatePerSec, [...(byRate.get(r.offeredRatePerSec) ?? []), r]);
  const compared = [...byRate.entries()].filter(([, rs]) => new Set(rs.map((r) => r.mode)).size > 1);
  if (compared.length === 0) return 'Output not compared: only one mode ran at each rate.';
  const differing = compared.filter(([, rs]) => new Set(rs.map((r) => r.outputChecksum)).size > 1).map(([rate]) => rate);
  const rates = compared.map(([rate]) => rate.toLocaleString('en')).join(', ');
  if (differing.length === 0) return `Both modes produced the same output (checksums equal at ${compared.length === byRate.size ? 'every rate' : `${rates} events/s, the rates where both ran`}).`;
  return `WARNING: the modes produced different output at ${differing.map((r) => r.toLocaleString('en')).join(', ')} events/s (checksums differ): the job is not deterministic, or a mode lost or duplicated records.`;
}
