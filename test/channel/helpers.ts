import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../../src/util/ts-worker.ts';
import { Doorbells } from '../../src/channel/doorbell.ts';
import { initRing, ringByteLength } from '../../src/channel/ring.ts';
import type { WorkerInput } from './workers/channel-worker.ts';

const workerUrl = new URL('./workers/channel-worker.ts', import.meta.url);

export interface Role<R> {
  worker: Worker;
  /** The first message other than the result (e.g. "I am about to park"). */
  signal: Promise<unknown>;
  result: Promise<R>;
}

const started = new Set<Worker>();

export function startRole<R = Record<string, unknown>>(input: WorkerInput): Role<R> {
  const worker = startTsWorker(workerUrl, { workerData: input });
  started.add(worker);
  let onSignal!: (m: unknown) => void;
  const signal = new Promise<unknown>((r) => (onSignal = r));
  const result = new Promise<R>((resolve, reject) => {
    worker.on('message', (m: { result?: R }) => {
      if (m && typeof m === 'object' && 'result' in m) resolve(m.result as R);
      else onSignal(m);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      started.delete(worker);
      reject(new Error(`worker ${input.role} exited (code ${code}) without a result`));
    });
  });
  return { worker, signal, result };
}

/** Terminates every worker a test started and did not see exit (call in afterEach). */
export async function stopAll(): Promise<void> {
  await Promise.all([...started].map((w) => w.terminate()));
  started.clear();
}

/** One SharedArrayBuffer: `bells` doorbells at 0, then a ring of capacityBytes (if given). */
export function sharedRing(bells: number, capacityBytes?: number): { sab: SharedArrayBuffer; ringOffset: number; bells: Doorbells } {
  const ringOffset = Doorbells.byteLength(bells);
  const sab = new SharedArrayBuffer(ringOffset + (capacityBytes ? ringByteLength(capacityBytes) : 0));
  const doorbells = new Doorbells(sab, 0, bells);
  if (capacityBytes) initRing(sab, ringOffset, capacityBytes);
  return { sab, ringOffset, bells: doorbells };
}

