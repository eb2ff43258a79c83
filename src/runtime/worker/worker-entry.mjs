// piscina loads this file in each worker thread. Worker threads do not inherit loader hooks, so
// the module loaders are registered here before the runtime (and the user's job) is imported.
import '../../loader/register.mjs';

const { runWorker } = await import('./worker.ts');

export default function partitionTask(task) {
  return runWorker(task);
}
