/**
 * One trial of the experiment: the job in one mode at one offered rate, open loop, for a warm-up
 * that is not measured and then the measured duration; what it measured, what it cost in CPU, and
 * how busy the rest of the machine was meanwhile.
 */
import { run } from '../runtime/job/run.ts';
import { WeirError } from '../errors.ts';
import { prepareKafkaLoad, type KafkaLoadTarget } from './kafka-load.ts';
import { latencyStages } from '../runtime/instrumentation/latency-recorder.ts';
import { summarize } from '../runtime/instrumentation/latency-merge.ts';
import { cpuBetween, loadAverage, sampleCpu, type CpuSample } from './machine-load.ts';
import { replayParam, type ReplayParam } from './replay-source.ts';
import type { BenchMode, BenchRun } from './report-types.ts';

export interface TrialSpec {
  job: string;
  /** With load 'replay': the replaying job's module (replay-job.ts). */
  replayJobUrl?: string;
  mode: BenchMode;
  ratePerSec: number;
  trial: number;
  warmupS: number;
  durationS: number;
  parallelism?: number;
  microBatchIntervalMs: number;
  seed: number;
  p99BoundMs: number;
  /** Absent: the job's own setting. */
  checkpointIntervalMs?: number;
  params: Record<string, string>;
  load: 'generator' | 'replay' | 'kafka';
  kafka?: KafkaLoadTarget;
  onProgress?(elapsedS: number, totalS: number): void;
}

/**
 * A run is on schedule when it finished within this much of its schedule: the last record is due
 * at warm-up + duration, so a job that keeps up completes shortly after it. A job whose lag grows
 * accumulates a backlog and finishes late by roughly that backlog (the source stage of the latency
 * breakdown shows the same backlog record by record).
 */
export function lateFinishAllowanceMs(microBatchIntervalMs: number): number {
  return Math.max(500, 3 * microBatchIntervalMs);
}

export async function runTrial(spec: TrialSpec): Promise<{ run: BenchRun; parallelism: number }> {
  const totalS = spec.warmupS + spec.durationS;
  const params: Record<string, string> = { ...spec.params, rate: String(spec.ratePerSec), seconds: String(totalS), seed: String(spec.seed) };
  let jobUrl = spec.job;
  if (spec.load === 'replay') {
    jobUrl = spec.replayJobUrl!;
    params[replayParam] = JSON.stringify({ ratePerSec: spec.ratePerSec, seconds: totalS } satisfies ReplayParam);
  }
  const kafkaLoad = spec.kafka ? await prepareKafkaLoad(spec.job, params, spec.kafka) : undefined;
  const handle = await run(jobUrl, {
    mode: spec.mode,
    parallelism: spec.parallelism,
    microBatchIntervalMs: spec.microBatchIntervalMs,
    ...(spec.checkpointIntervalMs !== undefined ? { checkpointIntervalMs: spec.checkpointIntervalMs } : {}),
    params: kafkaLoad?.params ?? params,
    measureLatency: true,
    warmupMs: spec.warmupS * 1000,
    outputChecksum: true,
  });
  // CPU is counted over the measured window only: from the end of the warm-up to the end of the run.
  let atWarmupEnd: CpuSample | undefined;
  let warmupTimer: NodeJS.Timeout | undefined;
  let ended = false;
  handle.ready.then(
    () => {
      if (!ended) warmupTimer = setTimeout(() => (atWarmupEnd = sampleCpu()), spec.warmupS * 1000);
    },
    () => {},
  );
  // When the sources last read a record (to 100 ms): the end of the input's window when the job fell behind.
  let sourceRecordsSeen = 0;
  let sourcesLastReadS = 0;
  const readSamples: Array<[number, number]> = [[0, 0]];
  const progress = setInterval(() => {
    const metrics = handle.metrics();
    const read = metrics.sources.reduce((a, s) => a + s.records, 0);
    readSamples.push([metrics.elapsedMs, read]);
    if (read > sourceRecordsSeen) [sourceRecordsSeen, sourcesLastReadS] = [read, metrics.elapsedMs / 1000];
    spec.onProgress?.(metrics.elapsedMs / 1000, totalS);
  }, 100);
  let result;
  try {
    result = kafkaLoad ? await (await kafkaLoad.start(handle)).finish() : await handle.done;
  } finally {
    clearInterval(progress);
    ended = true;
    clearTimeout(warmupTimer);
  }
  const atEnd = sampleCpu();
  const report = result.latency!;
  const endToEnd = summarize(report.latency.endToEnd);
  const sourceRecords = result.metrics.sources.reduce((a, s) => a + s.records, 0);
  if (endToEnd.count === 0) throw nothingMeasured(spec, sourceRecords);

  // The offered rate is shared evenly by the partitions, and each partition's schedule ends when its
  // records do: at warm-up + duration, earlier when a replayed recording ran out, at once for an
  // empty one (a replayed job's rules log, say). The run's schedule ends with the last partition's,
  // and the warm-up took at most its share of each partition's records.
  const partitionRatePerSec = spec.ratePerSec / Math.max(1, result.metrics.sources.length);
  const scheduledEndS = Math.min(totalS, Math.max(0, ...result.metrics.sources.map((s) => s.records / partitionRatePerSec)));
  const lateMs = result.durationMs - scheduledEndS * 1000;
  // The measured window: from the end of the warm-up until the input was read — its schedule's end
  // for a job that kept up, later for one that fell behind (it read the backlog after the schedule).
  const measuredS = Math.max(scheduledEndS, sourcesLastReadS) - spec.warmupS;
  const warmupRecords = Math.round(partitionRatePerSec * spec.warmupS);
  const inputRecords = result.metrics.sources.reduce((sum, s) => sum + Math.max(0, s.records - warmupRecords), 0);
  // A run that ended within its warm-up measured nothing (nothingMeasured above), so atWarmupEnd is set here.
  const cpu = cpuBetween(atWarmupEnd ?? atEnd, atEnd);
  const onSchedule = lateMs <= lateFinishAllowanceMs(spec.microBatchIntervalMs);
  return {
    parallelism: handle.options.parallelism,
    run: {
      mode: spec.mode,
      offeredRatePerSec: spec.ratePerSec,
      trial: spec.trial,
      inputRatePerSec: inputRecords / measuredS,
      outputRatePerSec: endToEnd.count / measuredS,
      onSchedule,
      lateMs,
      keptUp: keptUp(onSchedule, endToEnd.p99Ms, spec.p99BoundMs),
      warmupS: spec.warmupS,
      durationS: spec.durationS,
      measuredS,
      inputRecords,
      records: endToEnd.count,
      cpu: { userS: cpu.userS, systemS: cpu.systemS, perMillionEventsS: inputRecords > 0 ? ((cpu.userS + cpu.systemS) * 1e6) / inputRecords : Number.NaN },
      otherProcessesCpuS: cpu.otherProcessesS,
      loadAverage1m: loadAverage()[0],
      latency: {
        endToEnd,
        stages: Object.fromEntries(latencyStages.map((s) => [s, summarize(report.latency.stages[s])])),
      },
      throughputOverTime: report.throughputOverTime,
      inputOverTime: perSecond([...readSamples, [result.durationMs, sourceRecords]]),
      outputChecksum: result.outputChecksum!,
    },
  };
}

/** Events/s per whole second of the run, from cumulative (elapsed ms, records) samples; tMs is the end of each second. */
export function perSecond(samples: Array<[number, number]>): Array<{ tMs: number; eventsPerSec: number }> {
  const out: Array<{ tMs: number; eventsPerSec: number }> = [];
  const endMs = samples[samples.length - 1][0];
  let previous = 0;
  for (let tMs = 1000; tMs <= endMs + 999; tMs += 1000) {
    const at = samples.filter(([ms]) => ms <= tMs).pop()![1];
    const spanMs = Math.min(1000, endMs - (tMs - 1000));
    if (spanMs > 0) out.push({ tMs: Math.min(tMs, Math.round(endMs)), eventsPerSec: ((at - previous) * 1000) / spanMs });
    previous = at;
  }
  return out;
}

/**
 * The one definition of "kept up", used by the tables, the plots and the maximum sustainable
 * throughput: the run finished on schedule (its backlog did not grow) and its end-to-end p99 was
 * within the bound. A run on schedule with a p99 of a second did not keep up with a 250 ms bound.
 */
export function keptUp(onSchedule: boolean, p99Ms: number, p99BoundMs: number): boolean {
  return onSchedule && p99Ms <= p99BoundMs;
}

/**
 * A run whose sinks received no record created after the warm-up: the report would be empty and
 * every comparison vacuous, so the bench fails instead. Usually the job ignores the `rate` and
 * `seconds` parameters and finishes (or never starts emitting) within the warm-up.
 */
function nothingMeasured(spec: TrialSpec, recordsRead: number): WeirError {
  const run = `the ${spec.mode} run at ${spec.ratePerSec.toLocaleString('en')} events/s`;
  const why =
    recordsRead === 0
      ? 'its sources read no record'
      : `its sources read ${recordsRead.toLocaleString('en')} records, all created within the ${spec.warmupS} s warm-up, so none was measured`;
  const hint =
    spec.load === 'replay'
      ? 'With --replay, the recording must hold more than rate × warm-up records, and the job must write what it reads to a sink'
      : 'A bench job must generate its load from the parameters rate (events/s), seconds and seed, as examples/clicks.ts does; a job on its own data runs with --replay';
  return new WeirError('WEIR_CONFIG', `bench: ${run} measured no record: ${why}. ${hint}`);
}
