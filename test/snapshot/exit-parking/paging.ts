// What a snapshot thread does to LMDB, over and over: pages through an environment in a read
// transaction, yielding between pages. Without an environment, it spins inside a marked section
// that never ends by itself (the worker's exit must stop it between two calls).
import { parentPort, workerData } from 'node:worker_threads';
import { betweenLmdbCalls, insideLmdb, watchForWorkerExit } from '../../../src/snapshot/exit-parking.ts';
import { lmdb } from '../../../src/state/lmdb-module.ts';

const { exitParking, lmdbPath } = workerData as { exitParking: SharedArrayBuffer; lmdbPath?: string };
watchForWorkerExit(exitParking);
parentPort!.postMessage('busy');
if (lmdbPath === undefined) {
  insideLmdb(() => {
    for (;;) betweenLmdbCalls();
  });
} else {
  // Loading lmdb's addon is an lmdb call too: the worker may exit while it loads.
  const db = insideLmdb(() => lmdb().open<Buffer, Buffer>({ path: lmdbPath, compression: false, keyEncoding: 'binary', encoding: 'binary' }));
  void (async () => {
    for (;;) {
      const txn = insideLmdb(() => {
        db.resetReadTxn();
        return db.useReadTransaction();
      });
      let start: Buffer | undefined;
      for (let more = true; more; ) {
        more = insideLmdb(() => {
          let n = 0;
          for (const { key } of db.getRange({ transaction: txn, start, exclusiveStart: start !== undefined, limit: 100 })) {
            start = Buffer.from(key);
            n++;
            betweenLmdbCalls();
          }
          return n === 100;
        });
        await new Promise((resolve) => setImmediate(resolve));
      }
      insideLmdb(() => txn.done());
    }
  })();
}
