// A fast unbounded source into a deliberately slow sink: backpressure must bound memory.
import { defineJob } from '../../src/api/index.ts';
import type { SinkSpec } from '../../src/connectors/types.ts';
import { generator } from '../../src/connectors/index.ts';

const slowCounter: SinkSpec<unknown> = {
  kind: 'slow',
  name: 'slow',
  open() {
    let n = 0;
    return {
      write() {
        n++;
        if (n % 100 === 0) {
          const until = performance.now() + 1;
          while (performance.now() < until); // 10 µs per record on average
        }
      },
      flush() {},
      close() {},
      result: () => [n],
    };
  },
};

export default defineJob((env) => {
  env
    .source(generator({ partitions: 2, keys: 1000, seed: 5 }))
    .map((e) => ({ ...e, padding: 'p'.repeat(200) }))
    .keyBy((e) => e.key)
    .process((e, ctx) => ctx.emit(e))
    .sinkTo(slowCounter);
}, { ringCapacityBytes: 1 << 16 });
