// piscina loads this file in each thread of a job attempt (job/thread-pools.ts). Worker threads do
// not inherit loader hooks: from the TypeScript sources (this repository) the loaders are
// registered here, before the runtime is imported; the compiled package needs none for itself, and
// the worker's loadJob registers what the user's job needs (api/job.ts) before importing it.
//
// A thread imports the runtime of the task it is given, on its first such task: the coordinator's
// is a dozen modules, a worker's over a hundred, and on a machine of two cores a coordinator thread
// loading a worker's modules it never runs delays the workers' start.
import { existsSync } from 'node:fs';

const fromSources = existsSync(new URL('./worker.ts', import.meta.url));
if (fromSources) await import('../../loader/register.mjs');

/** One task of an attempt: the coordinator's (`{ coordinator }`) or a worker's (WorkerTask). */
export default async function threadTask(task) {
  if (task.coordinator) {
    const { coordinate } = await import('../coordinator/coordinator.ts');
    return coordinate(task.coordinator);
  }
  const { runWorker } = await import('./worker.ts');
  return runWorker(task);
}
