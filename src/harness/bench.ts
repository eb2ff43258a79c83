import { toJobUrl } from '../runtime/job/run.ts';
import { WeirError } from '../errors.ts';
import type { KafkaLoadTarget } from './kafka-load.ts';
import { benchNotes } from './bench-notes.ts';
import { maxSustainable, summarizePoints } from './bench-points.ts';
import { runTrial } from './bench-run.ts';
import { replayJobModule } from './replay-job.ts';
import { captureEnvironment, jobFileSha256 } from './environment.ts';
import { cpuGovernors, loadAverage, machineLoad } from './machine-load.ts';
import { reportSchema, type BenchConfig, type BenchMode, type BenchReport, type BenchRun } from './report-types.ts';

export { lateFinishAllowanceMs, keptUp } from './bench-run.ts';
export { outputComparison } from './bench-notes.ts';
export { maxSustainable } from './bench-points.ts';

/**
 * The experiment: run a job in each mode at each offered load, open loop, for a warm-up that is
 * not measured and then the measured duration, `repeat` times, and report latency, throughput,
 * CPU cost and the output, with the median and spread over the trials.
 *
 * The load: by default the job's own generator — a bench job reads three parameters, `rate`
 * (events/s offered, total), `seconds` (warm-up + duration) and `seed`, as examples/clicks.ts does.
 * With `replay`, any job on its own data: its sources are read open-loop at the rate
 * (replay-source.ts). With `kafka`, the generator's events through a Kafka topic (kafka-load.ts).
 */
export interface BenchOptions extends Omit<BenchConfig, 'job' | 'parallelism' | 'kafka' | 'load' | 'repeat' | 'jobSha256'> {
  job: string | URL;
  parallelism?: number;
  /** Trials per (mode, rate) point (default 1). */
  repeat?: number;
  /** Replay the job's own sources open-loop at each rate instead of asking its generator for the rate. */
  replay?: boolean;
  /** Take the load from this Kafka topic, produced at the fixed rate while the job runs (kafka-load.ts); default: the embedded generator. */
  kafka?: KafkaLoadTarget;
  /** Called about 10× a second while a run is in progress. */
  onProgress?(p: { mode: BenchMode; ratePerSec: number; trial: number; elapsedS: number; totalS: number; runIndex: number; runs: number }): void;
}

export async function runBench(opts: BenchOptions): Promise<BenchReport> {
  if (opts.modes.length === 0 || opts.ratesPerSec.length === 0) throw new WeirError('WEIR_CONFIG', 'bench: at least one mode and one rate');
  if (!(opts.durationS > 0) || !(opts.warmupS >= 0)) throw new WeirError('WEIR_CONFIG', `bench: the measured duration must be > 0 s and the warm-up ≥ 0 s (got ${opts.durationS} s and ${opts.warmupS} s)`);
  const repeat = opts.repeat ?? 1;
  if (!Number.isInteger(repeat) || repeat < 1) throw new WeirError('WEIR_CONFIG', `bench: repeat must be a whole number ≥ 1 (got ${repeat})`);
  if (opts.replay && opts.kafka) throw new WeirError('WEIR_CONFIG', 'bench: replay and kafka do not go together: a replay reads the Kafka topic the job itself reads');
  const load = opts.replay ? 'replay' : opts.kafka ? 'kafka' : 'generator';
  const job = toJobUrl(opts.job);
  const rates = [...opts.ratesPerSec].sort((a, b) => a - b);
  const environment = captureEnvironment();
  const loadAverageBefore = loadAverage();
  const runs: BenchRun[] = [];
  const replayModule = load === 'replay' ? replayJobModule(job) : undefined;
  let parallelism = opts.parallelism ?? 0;
  const total = repeat * rates.length * opts.modes.length;
  // Trials interleave the modes: a slow minute of the machine falls on both, not on one mode's trials.
  try {
    for (let trial = 1; trial <= repeat; trial++) {
      for (const ratePerSec of rates) {
        for (const mode of opts.modes) {
          const runIndex = runs.length + 1;
          const done = await runTrial({
            job,
            replayJobUrl: replayModule?.url,
            mode,
            ratePerSec,
            trial,
            warmupS: opts.warmupS,
            durationS: opts.durationS,
            parallelism: opts.parallelism,
            microBatchIntervalMs: opts.microBatchIntervalMs,
            seed: opts.seed,
            p99BoundMs: opts.p99BoundMs,
            checkpointIntervalMs: opts.checkpointIntervalMs,
            params: opts.params,
            load,
            kafka: opts.kafka,
            onProgress: (elapsedS, totalS) => opts.onProgress?.({ mode, ratePerSec, trial, elapsedS, totalS, runIndex, runs: total }),
          });
          parallelism = done.parallelism;
          runs.push(done.run);
        }
      }
    }
  } finally {
    replayModule?.remove();
  }
  const others = runs.map((r) => r.otherProcessesCpuS);
  environment.load = machineLoad({
    loadAverageBefore,
    loadAveragesDuring: runs.map((r) => r.loadAverage1m),
    otherProcessesCpuS: others.every((o) => o !== null) ? others.reduce((a, b) => a! + b!, 0) : null,
    measuredS: runs.reduce((a, r) => a + r.measuredS, 0),
    cores: environment.cores,
    governors: cpuGovernors(),
  });
  const config: BenchConfig = {
    job,
    params: opts.params,
    modes: opts.modes,
    ratesPerSec: rates,
    warmupS: opts.warmupS,
    durationS: opts.durationS,
    parallelism,
    microBatchIntervalMs: opts.microBatchIntervalMs,
    seed: opts.seed,
    p99BoundMs: opts.p99BoundMs,
    ...(opts.checkpointIntervalMs !== undefined ? { checkpointIntervalMs: opts.checkpointIntervalMs } : {}),
    kafka: opts.kafka,
    load,
    repeat,
    jobSha256: jobFileSha256(job),
  };
  const points = summarizePoints(runs, opts.modes, rates);
  const report: Omit<BenchReport, 'notes'> = { schema: reportSchema, createdAt: new Date().toISOString(), config, environment, runs, points, maxSustainable: maxSustainable(points, opts.modes) };
  return { ...report, notes: benchNotes(report) };
}
