import { Piscina } from 'piscina';
import { limits } from '../../limits.ts';

/** Every thread of a job attempt runs this module: its coordinator task or one worker's task. */
const threadEntry = new URL('../worker/worker-entry.mjs', import.meta.url);

/**
 * The threads of a job attempt — its coordinator and one per worker — as one piscina pool of
 * exactly that many threads, each running one long task at a time: the tasks of an attempt wait on
 * each other through shared memory, so all of them must run at once, each on its own thread.
 *
 * Pools outlive their attempts. Starting a thread is the dearest part of a small job: each loads
 * weir's modules (about 0.2 s of CPU from the compiled package, 0.6 s from the TypeScript sources),
 * so a two-worker job's three threads cost more than its run over a few thousand records. An
 * attempt gives its pool back when every task ended by itself: normally, or — once it failed or saw
 * the abort flag — after closing whatever it had opened (worker.ts: closeQuietly). The next attempt
 * or job of this process with as many threads takes it, as a Flink session cluster keeps its
 * TaskManagers between jobs and failovers. A pool with a task still running when the attempt's
 * grace period ended is destroyed, its threads torn down in the middle of whatever they did (Flink
 * likewise kills a TaskManager whose task does not finish cancelling in time). A thread that died
 * (process.exit in user code) piscina replaces by itself.
 *
 * A reused thread imports the job module afresh for each task (worker.ts), so the job module's own
 * variables start anew as on a new thread; modules the job imports stay loaded, as on the main
 * thread. Idle threads are unref'd (piscina does it), so idle pools never keep the process alive;
 * at most limits.idleThreadsMax threads wait, the longest idle destroyed first.
 */
const idle: Array<{ threads: number; pool: Piscina }> = [];

/** A pool of `threads` threads: the one given back last with that many, else a new one. */
export function takeThreads(threads: number, reuse: boolean): Piscina {
  if (reuse) {
    for (let i = idle.length - 1; i >= 0; i--) {
      if (idle[i].threads !== threads) continue;
      return idle.splice(i, 1)[0].pool;
    }
  }
  return new Piscina({
    filename: threadEntry.href,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Number.POSITIVE_INFINITY,
    concurrentTasksPerWorker: 1,
    maxQueue: threads,
  });
}

/** Ends an attempt's use of its pool: kept for the next attempt when `reusable` (every task ended by itself), else destroyed. */
export async function giveBackThreads(pool: Piscina, threads: number, reusable: boolean): Promise<void> {
  if (!reusable || threads > limits.idleThreadsMax) return pool.destroy();
  idle.push({ threads, pool });
  const evicted: Piscina[] = [];
  let idleThreads = idle.reduce((sum, p) => sum + p.threads, 0);
  while (idleThreads > limits.idleThreadsMax) {
    const oldest = idle.shift()!;
    idleThreads -= oldest.threads;
    evicted.push(oldest.pool);
  }
  await Promise.allSettled(evicted.map((p) => p.destroy()));
}

/** Destroys every idle pool (their threads exit). */
export async function closeIdleThreads(): Promise<void> {
  const pools = idle.splice(0).map((p) => p.pool);
  await Promise.allSettled(pools.map((p) => p.destroy()));
}
