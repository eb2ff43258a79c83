// Worker threads do not inherit the parent's module loader hooks: register the module loaders
// here, then load the real entry module named in workerData.
import '../loader/register.mjs';
import { workerData } from 'node:worker_threads';

await import(workerData.__entry);
