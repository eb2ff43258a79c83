// piscina loads this file in each thread of a job attempt (job/thread-pools.ts). Worker threads do
// not inherit loader hooks: from the TypeScript sources (this repository) the loaders are
// registered here, before the runtime is imported; the compiled package needs none for itself, and
// the worker's loadJob registers what the user's job needs (api/job.ts) before importing it.
import { existsSync } from 'node:fs';

if (existsSync(new URL('./worker.ts', import.meta.url))) await import('../../loader/register.mjs');
const { runWorker } = await import('./worker.ts');
const { coordinate } = await import('../coordinator/coordinator.ts');

/** One task of an attempt: the coordinator's (`{ coordinator }`) or a worker's (WorkerTask). */
export default function threadTask(task) {
  return task.coordinator ? coordinate(task.coordinator) : runWorker(task);
}
