// Which thread each worker ran on, and how many records this instance of the job module had seen
// on it: for the tests of thread reuse (runtime/job/thread-pools.ts). `fail=1` fails the job on its
// first record; with `hangMarker` (a file path) too, the first worker to create that file instead
// keeps its thread busy for 5 s, past the grace period a failed job gives its other workers.
import { threadId } from 'node:worker_threads';
import { defineJob } from '../../src/api/index.ts';
import { collect, generator } from '../../src/connectors/index.ts';
import { failsFirstTime } from './fails-first-time.ts';

/** Records seen by this instance of the module: a fresh import counts from 0 again. */
let recordsSeen = 0;

export default defineJob((env) => {
  const fail = env.params.fail === '1';
  const hangMarker = env.params.hangMarker;
  env
    .source(generator({ partitions: 2, count: 20, keys: 4, seed: 1 }), { name: 'events' })
    .map((e) => {
      if (hangMarker !== undefined && failsFirstTime(hangMarker)) {
        const until = Date.now() + 5_000;
        while (Date.now() < until); // deaf to the abort flag, as a user function stuck in a loop
      }
      if (fail) throw new Error(`failing on record ${e.seq}`);
      return { threadId, recordsSeen: ++recordsSeen };
    }, { name: 'where' })
    .sinkTo(collect('where'));
});
