// A worker thread that exits takes its snapshot thread with it; torn down inside an lmdb call, that
// thread would abort the whole process. The exiting worker first waits for it to leave lmdb
// (src/snapshot/exit-parking.ts).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startTsWorker } from '../../src/util/ts-worker.ts';

const here = (name: string) => new URL(`./exit-parking/${name}`, import.meta.url);

describe('a snapshot thread when the worker that started it exits', () => {
  it('is parked between two lmdb calls before the worker is gone', async () => {
    const worker = startTsWorker(here('exiting-worker.ts'), { workerData: { exitAfterMs: 20 } });
    const slots = await new Promise<Int32Array>((resolve) => worker.once('message', (buffer: SharedArrayBuffer) => resolve(new Int32Array(buffer))));
    const code = await new Promise<number>((resolve) => worker.once('exit', resolve));
    expect(code).toBe(3);
    expect(Atomics.load(slots, 1)).toBe(1); // the worker said it was exiting
    expect(Atomics.load(slots, 0)).toBe(2); // and the thread, inside a marked section, parked
  });

  it('never aborts the process: worker threads exit while the threads they started page through LMDB', () => {
    // Without the parking, a process doing this aborted within 200 exits ("FATAL ERROR:
    // Error::ThrowAsJavaScriptException napi_throw"); this runs 40 of them in a process of its own.
    const run = spawnSync(process.execPath, [fileURLToPath(new URL('../../bin/run-ts.mjs', import.meta.url)), fileURLToPath(here('stress.ts')), '40'], { encoding: 'utf8', timeout: 120_000 });
    expect(run.stderr).not.toMatch(/FATAL ERROR/);
    expect(run.signal).toBeNull();
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/survived 40 exits/);
  }, 150_000);
});
