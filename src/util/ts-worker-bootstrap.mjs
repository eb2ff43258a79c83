// Worker threads do not inherit the parent's module loader hooks: an entry module in TypeScript
// (weir run from its sources) gets the loaders registered first; a compiled one needs none.
import { workerData } from 'node:worker_threads';

if (workerData.__entry.endsWith('.ts')) await import('../loader/register.mjs');
await import(workerData.__entry);
