import { workerData } from 'node:worker_threads';
import { epochCompletedSlot, kAbort, kEpochRequested, kStop, kWorkersDone, SharedViews, type SharedBuffers, type SharedLayout } from './shared.ts';
import type { ResolvedOptions } from './options.ts';
import { limits } from '../limits.ts';
import { nowMs } from '../util/clock.ts';

export interface CoordinatorData {
  buffers: SharedBuffers;
  layout: SharedLayout;
  options: ResolvedOptions;
}

/**
 * The coordinator thread. It owns the job's clock-driven decisions, so that no worker has to keep
 * a timer: in micro-batch mode it starts each epoch (Spark's trigger) once the previous one has
 * completed on every worker; if a batch takes longer than the interval, the next starts at once.
 * It parks on its own doorbell; workers ring it when they complete an epoch or finish.
 */
function coordinate({ buffers, layout, options }: CoordinatorData): void {
  const views = new SharedViews(buffers, layout);
  const control = views.control;
  const n = layout.parallelism;
  const micro = options.mode === 'micro-batch';
  let nextTriggerMs = nowMs();

  while (Atomics.load(control, kAbort) === 0 && Atomics.load(control, kWorkersDone) < n) {
    let waitMs: number = limits.parkTimeoutMs;
    if (micro) {
      const requested = Atomics.load(control, kEpochRequested);
      let completed = true;
      for (let w = 0; w < n; w++) if (Atomics.load(control, epochCompletedSlot(w)) < requested) completed = false;
      const now = nowMs();
      if (completed && (now >= nextTriggerMs || Atomics.load(control, kStop) !== 0)) {
        nextTriggerMs = Math.max(nextTriggerMs + options.microBatchIntervalMs, now);
        views.raise(kEpochRequested, requested + 1);
        continue;
      }
      if (completed) waitMs = Math.min(waitMs, nextTriggerMs - now);
    }
    views.doorbells.park(views.coordinatorId, () => false, Math.max(1, waitMs));
  }
}

coordinate(workerData as CoordinatorData);
