/**
 * Keeps a snapshot thread out of LMDB while the worker that started it exits.
 *
 * A worker thread that exits (`process.exit` in user code) takes the threads it started with it,
 * its snapshot thread included, and a thread torn down inside an lmdb call aborts the whole
 * process: lmdb's addon throws into the terminating thread, and node-addon-api treats the failed
 * throw as fatal ("FATAL ERROR: Error::ThrowAsJavaScriptException napi_throw"; reproduced with a
 * thread paging through an environment while its parent exits: the process aborted within 200
 * exits, and not in 600 with this). So the snapshot thread marks its lmdb calls, and the worker,
 * on its way out, asks it to stop before its next one and waits until it is outside.
 *
 * Two Int32 slots shared by the two threads, each written by one side:
 *   [state]    the snapshot thread's: 0 outside lmdb, 1 inside, 2 parked for good
 *   [exiting]  the worker's: 1 once it is exiting
 * Dekker's pattern on sequentially consistent Atomics: the snapshot thread stores state = 1 and
 * then loads exiting; the worker stores exiting = 1 and then loads state. At least one of them
 * sees the other's store: either the worker sees 1 and waits for the thread to leave or park, or
 * the thread sees exiting and parks before its call.
 */
import { limits } from '../limits.ts';

const STATE = 0;
const EXITING = 1;
const OUTSIDE = 0;
const INSIDE = 1;
const PARKED = 2;

// ------------------------------------------------------------------ the worker's side

const started = new Set<Int32Array>();
let hooked = false;

/** Slots for a snapshot thread this worker thread starts (passed to it; see `watchForWorkerExit`). */
export function exitParkingSlots(): Int32Array {
  const slots = new Int32Array(new SharedArrayBuffer(8));
  started.add(slots);
  if (!hooked) {
    hooked = true;
    process.on('exit', parkSnapshotThreads);
  }
  return slots;
}

/** The snapshot thread ended: nothing to wait for at exit. */
export function forgetExitParkingSlots(slots: Int32Array): void {
  started.delete(slots);
}

function parkSnapshotThreads(): void {
  for (const slots of started) Atomics.store(slots, EXITING, 1);
  const deadline = performance.now() + limits.snapshotParkOnExitMs;
  for (const slots of started) {
    // Woken when the thread leaves its call (it then parks before the next) or parks.
    while (Atomics.load(slots, STATE) === INSIDE) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      Atomics.wait(slots, STATE, INSIDE, left);
    }
  }
}

// ------------------------------------------------------------------ the snapshot thread's side

let mine: Int32Array | undefined;

/** Called once by a snapshot thread with the slots its worker made; other threads never call it. */
export function watchForWorkerExit(buffer: SharedArrayBuffer): void {
  mine = new Int32Array(buffer);
}

/**
 * Runs `lmdbCalls` (synchronous lmdb work) marked as inside lmdb; on a thread that does not watch
 * for its worker's exit (a worker's own fallback snapshot) it just runs it.
 */
export function insideLmdb<R>(lmdbCalls: () => R): R {
  const slots = mine;
  if (slots === undefined) return lmdbCalls();
  Atomics.store(slots, STATE, INSIDE);
  if (Atomics.load(slots, EXITING) === 1) park(slots);
  try {
    return lmdbCalls();
  } finally {
    Atomics.store(slots, STATE, OUTSIDE);
    Atomics.notify(slots, STATE);
  }
}

/** Between two lmdb calls inside `insideLmdb`: stops here if the worker is exiting. */
export function betweenLmdbCalls(): void {
  const slots = mine;
  if (slots !== undefined && Atomics.load(slots, EXITING) === 1) park(slots);
}

/** Never returns: the thread waits, outside lmdb, to be torn down with its worker. */
function park(slots: Int32Array): never {
  Atomics.store(slots, STATE, PARKED);
  Atomics.notify(slots, STATE);
  for (;;) Atomics.wait(slots, EXITING, 1);
}
