// A worker thread that starts a snapshot-like thread (paging.ts) with exit-parking slots, tells the
// test the slots, and exits (process.exit, as user code may) once that thread is busy.
import { parentPort, workerData } from 'node:worker_threads';
import { exitParkingSlots } from '../../../src/snapshot/exit-parking.ts';
import { startTsWorker } from '../../../src/util/ts-worker.ts';

const { lmdbPath, exitAfterMs } = workerData as { lmdbPath?: string; exitAfterMs: number };
const slots = exitParkingSlots();
parentPort!.postMessage(slots.buffer);
const child = startTsWorker(new URL('./paging.ts', import.meta.url), { workerData: { exitParking: slots.buffer, lmdbPath } });
child.once('message', () => setTimeout(() => process.exit(3), exitAfterMs));
