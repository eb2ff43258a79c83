// A sink subtask in its own thread, for the concurrent logSink test: waits for the go signal so
// that all subtasks create/open the log at the same moment, then writes its share and flushes.
import { parentPort, workerData } from 'node:worker_threads';
import { logSink } from '../../src/connectors/embedded-log/sink.ts';

const { dir, subtask, parallelism, partitions, count, go } = workerData as {
  dir: string;
  subtask: number;
  parallelism: number;
  partitions: number;
  count: number;
  go: SharedArrayBuffer;
};
const flag = new Int32Array(go);
parentPort!.postMessage('ready');
while (Atomics.load(flag, 0) === 0) Atomics.wait(flag, 0, 0, 50);
const writer = await logSink<{ s: number; i: number }>({ dir, partitions }).open({ subtask, parallelism, workDir: dir, nowMs: () => Date.now(), sinkUid: 'sink' });
for (let i = 0; i < count; i++) {
  writer.write({ s: subtask, i }, NaN, NaN);
  if (i % 1000 === 999) await writer.flush();
}
await writer.close();
parentPort!.postMessage('done');
