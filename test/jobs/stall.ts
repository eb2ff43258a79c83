// A rate-limited stream whose sink stalls once for `stallMs`: the stall must show in the latency
// tail (coordinated omission), because records are timed from their scheduled creation.
import { defineJob } from '../../src/api/index.ts';
import type { SinkSpec } from '../../src/connectors/types.ts';
import { generator } from '../../src/connectors/index.ts';

const stallingSink = (stallAtRecord: number, stallMs: number): SinkSpec<unknown> => ({
  kind: 'stalling',
  name: 'stalling',
  open(ctx) {
    let n = 0;
    return {
      write() {
        if (ctx.subtask === 0 && ++n === stallAtRecord) {
          const until = performance.now() + stallMs;
          while (performance.now() < until); // the whole worker stops, as in a GC pause or a slow disk
        }
      },
      flush() {},
      close() {},
    };
  },
});

export default defineJob((env) => {
  const rate = env.numberParam('rate', 10_000);
  env
    .source(generator({ partitions: 1, ratePerSec: rate, count: Math.round(rate * env.numberParam('seconds', 2)), seed: env.numberParam('seed', 1) }))
    .sinkTo(stallingSink(env.numberParam('stallAt', 5000), env.numberParam('stallMs', 300)));
});
