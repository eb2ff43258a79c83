/**
 * lmdb and msgpackr, loaded on first use. With their native addons they cost about 35 ms in each
 * thread that loads them, and a job on the heap backend that takes no checkpoints never opens an
 * LMDB file or writes a snapshot; every thread of every job imported them before.
 *
 * Loaded through `require`: the package's CommonJS build, one instance per thread whoever asks.
 * An ES module `import` of lmdb elsewhere in the process is another instance, which is harmless:
 * lmdb shares its environments natively, as it does between threads. The key encoding's one
 * setting that lmdb made on a shared instance is made where the keys are written (ordered-keys.ts).
 */
import { lazyRequire } from '../util/lazy-require.ts';

export const lmdb = lazyRequire<typeof import('lmdb')>('lmdb');
export const msgpackr = lazyRequire<typeof import('msgpackr')>('msgpackr');

/** Loads both now: a job that will checkpoint or keep its state in LMDB pays for it before it starts, not at its first snapshot. */
export function loadLmdb(): void {
  lmdb();
  msgpackr();
}
