import { Worker, type WorkerOptions } from 'node:worker_threads';

const bootstrap = new URL('./ts-worker-bootstrap.mjs', import.meta.url);

/**
 * Starts a worker thread on a TypeScript (or JavaScript) module. The module reads its input from
 * `workerData` as usual; `__entry` is reserved.
 */
export function startTsWorker(entry: URL, options: WorkerOptions = {}): Worker {
  const data = (options.workerData ?? {}) as Record<string, unknown>;
  return new Worker(bootstrap, { ...options, workerData: { ...data, __entry: entry.href } });
}
