import { receiveMessageOnPort } from 'node:worker_threads';
import { LatencyAccumulator } from '../instrumentation/latency-merge.ts';
import type { LatencySnapshot } from '../instrumentation/latency-recorder.ts';
import { limits } from '../../limits.ts';
import { nowMs } from '../../util/clock.ts';
import {
  epochCompletedSlot,
  kAbort,
  kCheckpointCompleted,
  kCheckpointEpoch,
  kCheckpointNow,
  kCheckpointPrepared,
  kCheckpointRequested,
  kEpochRequested,
  kFinalCheckpoint,
  kStop,
  kWorkersDone,
  kWorkersDrained,
  kWorkersReady,
  SharedViews,
  type CoordinatorData,
  type CoordinatorReport,
} from '../protocol.ts';
import { nameThisThread } from '../../util/thread-name.ts';

/**
 * The coordinator thread. It owns the job's clock-driven decisions, so that no worker has to keep
 * a timer: in micro-batch mode it starts each epoch (Spark's trigger) once the previous one has
 * completed on every worker; if a batch takes longer than the interval, the next starts at once.
 * With checkpoints it triggers each one (the main thread prepares its directory first and writes
 * its metadata once every worker has acknowledged it; see checkpointer.ts): in continuous mode by
 * raising the request the workers' sources answer with barriers, in micro-batch mode by attaching
 * it to the end of the next epoch. Once every worker has drained it triggers a final one at once.
 * Under the harness it merges the workers' latency histograms and samples sink throughput.
 * It parks on its own doorbell; workers ring it when they complete an epoch or finish.
 */
export function coordinate({ buffers, layout, options, latencyPorts = [], sinkRecordSlots }: CoordinatorData): CoordinatorReport | undefined {
  nameThisThread('coordinator');
  const views = new SharedViews(buffers, layout);
  const control = views.control;
  const n = layout.parallelism;
  const micro = options.mode === 'micro-batch';
  // The start gate: the job's clock starts when every worker has loaded the job and built its
  // chain, so thread start-up and module compilation are not measured as latency (an open-loop
  // schedule that started earlier would enter the run with a start-up backlog).
  while (Atomics.load(control, kAbort) === 0 && Atomics.load(control, kWorkersReady) < n) {
    views.doorbells.park(views.coordinatorId, () => Atomics.load(control, kWorkersReady) >= n || Atomics.load(control, kAbort) !== 0, limits.parkTimeoutMs);
  }
  const startMs = nowMs();
  // An attempt that failed before every worker was ready never passes its start gate (job.ready
  // waits for the gate; the workers see the abort flag instead).
  if (Atomics.load(control, kAbort) === 0) views.markStarted(startMs);
  let nextTriggerMs = startMs;
  const latency = options.measureLatency ? new LatencyAccumulator() : undefined;
  const throughput: CoordinatorReport['throughputOverTime'] = [];
  let nextSampleMs = startMs + limits.throughputSampleIntervalMs;
  let lastSinkRecords = 0;
  const checkpointing = options.checkpointIntervalMs > 0;
  let nextCheckpointMs = startMs + options.checkpointIntervalMs;
  /** The prepared checkpoint, when one may be triggered now: none in flight, and it is due. */
  const dueCheckpoint = (now: number): { id: number; final: boolean } | undefined => {
    if (!checkpointing || Atomics.load(control, kFinalCheckpoint) !== 0) return undefined;
    const prepared = Atomics.load(control, kCheckpointPrepared);
    const requested = Atomics.load(control, kCheckpointRequested);
    if (prepared <= requested || Atomics.load(control, kCheckpointCompleted) !== requested) return undefined;
    const final = Atomics.load(control, kWorkersDrained) >= n;
    if (!final && now < nextCheckpointMs && Atomics.load(control, kCheckpointNow) === 0) return undefined;
    return { id: prepared, final };
  };
  const trigger = (checkpoint: { id: number; final: boolean }, now: number) => {
    if (checkpoint.final) Atomics.store(control, kFinalCheckpoint, checkpoint.id);
    Atomics.store(control, kCheckpointNow, 0);
    // Measured from the trigger, as Flink's interval: a slow checkpoint delays the next one.
    nextCheckpointMs = now + options.checkpointIntervalMs;
    views.raise(kCheckpointRequested, checkpoint.id);
  };

  const drainPorts = () => {
    for (const port of latencyPorts) {
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) latency!.add(m.message as LatencySnapshot);
    }
  };
  const sample = (now: number) => {
    let records = 0;
    for (const slot of sinkRecordSlots) records += views.metrics[slot];
    const intervalMs = now - (nextSampleMs - limits.throughputSampleIntervalMs);
    throughput.push({ tMs: Math.round(now - startMs), recordsPerSec: ((records - lastSinkRecords) * 1000) / intervalMs });
    lastSinkRecords = records;
    nextSampleMs = now + limits.throughputSampleIntervalMs;
  };

  while (Atomics.load(control, kAbort) === 0 && Atomics.load(control, kWorkersDone) < n) {
    let waitMs: number = limits.parkTimeoutMs;
    const now = nowMs();
    if (latency) {
      drainPorts();
      if (now >= nextSampleMs) sample(now);
      waitMs = Math.min(waitMs, nextSampleMs - now);
    }
    const checkpoint = dueCheckpoint(now);
    if (checkpoint && (!micro || checkpoint.final)) {
      trigger(checkpoint, now);
      continue;
    }
    if (checkpointing) waitMs = Math.min(waitMs, Math.max(1, nextCheckpointMs - now));
    if (micro) {
      const requested = Atomics.load(control, kEpochRequested);
      let completed = true;
      for (let w = 0; w < n; w++) if (Atomics.load(control, epochCompletedSlot(w)) < requested) completed = false;
      if (completed && (now >= nextTriggerMs || Atomics.load(control, kStop) !== 0)) {
        nextTriggerMs = Math.max(nextTriggerMs + options.microBatchIntervalMs, now);
        // A due checkpoint is taken at the end of the epoch about to start: the state then is the batch's result.
        if (checkpoint) {
          Atomics.store(control, kCheckpointEpoch, requested + 1);
          trigger(checkpoint, now);
        }
        views.raise(kEpochRequested, requested + 1);
        continue;
      }
      if (completed) waitMs = Math.min(waitMs, nextTriggerMs - now);
    }
    views.doorbells.park(views.coordinatorId, () => false, Math.max(1, waitMs));
  }

  let report: CoordinatorReport | undefined;
  if (latency && Atomics.load(control, kAbort) === 0) {
    drainPorts();
    // A last sample only if it covers at least half an interval: a sliver would read as a false dip.
    const now = nowMs();
    if (now - (nextSampleMs - limits.throughputSampleIntervalMs) >= limits.throughputSampleIntervalMs / 2) sample(now);
    report = { latency: latency.snapshot(), throughputOverTime: throughput };
  }
  // The thread may serve later attempts (job/thread-pools.ts): nothing of this one stays open on it.
  for (const port of latencyPorts) port.close();
  return report;
}
