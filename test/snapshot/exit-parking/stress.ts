// Run as its own process (the test checks its exit code: an abort kills the process): `runs` times,
// a worker thread exits while the thread it started pages through LMDB.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lmdb } from '../../../src/state/lmdb-module.ts';
import { startTsWorker } from '../../../src/util/ts-worker.ts';

const runs = Number(process.argv[2] ?? 50);
const dir = mkdtempSync(join(tmpdir(), 'weir-exit-parking-'));
const db = lmdb().open<string, string>({ path: dir, compression: false });
db.transactionSync(() => {
  for (let i = 0; i < 20_000; i++) db.put(`k${i}`, 'v'.repeat(50));
});
for (let i = 0; i < runs; i++) {
  const worker = startTsWorker(new URL('./exiting-worker.ts', import.meta.url), { workerData: { lmdbPath: dir, exitAfterMs: 1 + ((i * 7) % 30) } });
  await new Promise((resolve) => worker.once('exit', resolve));
}
await db.close();
rmSync(dir, { recursive: true, force: true });
console.log(`survived ${runs} exits`);
