// Records which worker sees which key after keyBy: every key must land on exactly one worker.
import { defineJob } from '../../src/api/index.ts';
import { collect, generator } from '../../src/connectors/index.ts';

export default defineJob((env) => {
  let subtask = -1;
  env
    .source(generator({ partitions: env.numberParam('partitions', 2), count: 10_000, keys: 300, keySkew: 1.1, seed: 3 }))
    .keyBy((e) => `user-${e.key}`)
    .process<{ key: string; subtask: number }>({
      open(info) {
        subtask = info.subtask;
      },
      processElement(e, ctx) {
        ctx.emit({ key: ctx.key, subtask });
      },
    })
    .sinkTo(collect('seen'));
});
