// Worker threads do not inherit the parent's module loader hooks: register the TypeScript loader
// here, then load the real entry module named in workerData.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.__entry);
