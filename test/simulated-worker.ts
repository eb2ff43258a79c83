// One worker of a job run in the test's own thread on a simulated clock: the worker's clock and
// its doorbell waits are injected (src/runtime/worker/environment.ts), so time moves only when the
// worker waits, straight to the deadline it waits for. Nothing else can ring the doorbell in one
// thread, so every run of the same job gives the same rows at the same simulated times — the
// first step toward simulating a whole job deterministically in one thread.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadJob } from '../src/api/job.ts';
import { resolveOptions, type RunOptions } from '../src/runtime/options.ts';
import { planJob } from '../src/runtime/plan.ts';
import { MetricsLayout } from '../src/runtime/metrics.ts';
import { allocateShared, SharedViews, type WorkerResult } from '../src/runtime/protocol.ts';
import type { Parking, WorkerEnvironment } from '../src/runtime/worker/environment.ts';
import { runWorker } from '../src/runtime/worker/worker.ts';

export class SimulatedClock {
  /** Every wait the worker made, in simulated ms (what it waited for, in order). */
  readonly waits: number[] = [];
  constructor(private ms: number) {}
  readonly nowMs = (): number => this.ms;
  advance(ms: number): void {
    this.waits.push(ms);
    this.ms += ms;
  }
}

/** Waits that never block: the clock jumps to the deadline (a wait of 0 still lets 1 ms pass, as a real one would). */
function simulatedParking(clock: SimulatedClock): Parking {
  const wait = (ready: () => boolean, timeoutMs: number): boolean => {
    if (ready()) return true;
    clock.advance(Math.max(1, Math.ceil(timeoutMs)));
    return ready();
  };
  return {
    park: (_id, ready, timeoutMs) => wait(ready, timeoutMs),
    parkAsync: async (_id, ready, timeoutMs) => {
      // A turn of the event loop, as a real asynchronous park gives one.
      await new Promise<void>((resolve) => setImmediate(resolve));
      return wait(ready, timeoutMs);
    },
  };
}

/** Runs a one-worker job (parallelism 1, no checkpoints) to its end in this thread, its clock starting at startMs. */
export async function runSimulatedWorker(job: URL, startMs: number, options: RunOptions = {}): Promise<{ result: WorkerResult; clock: SimulatedClock }> {
  const jobUrl = job.href;
  const { definition, env } = await loadJob(jobUrl, options.params ?? {});
  const workDir = mkdtempSync(join(tmpdir(), 'weir-sim-'));
  try {
    const resolved = resolveOptions(definition.settings, options, 1, workDir);
    if (resolved.parallelism !== 1 || resolved.checkpointIntervalMs !== 0) throw new Error('a simulated worker runs parallelism 1 without checkpoints');
    const plan = planJob(env.graph, 1);
    const metrics = new MetricsLayout(plan.graph.nodes.length, plan.exchanges.length, 1, plan.sources.map((s) => s.spec.partitions()));
    const layout = {
      parallelism: 1,
      exchanges: plan.exchanges.length,
      ringCapacityBytes: resolved.ringCapacityBytes,
      metricsSlots: metrics.totalSlots,
      partitions: plan.sources.reduce((a, s) => a + s.spec.partitions(), 0),
    };
    const buffers = allocateShared(layout);
    // The coordinator's part: the start gate is open from the start.
    new SharedViews(buffers, layout).markStarted(startMs);
    const clock = new SimulatedClock(startMs);
    const environment: WorkerEnvironment = { clock, parking: simulatedParking(clock) };
    const result = await runWorker({ worker: 0, jobUrl, options: resolved, buffers, layout }, environment);
    return { result, clock };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
