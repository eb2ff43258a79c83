// union of two sources (different partition counts) into one keyed count.
import { defineJob } from '../../src/api/index.ts';
import { collect, generator } from '../../src/connectors/index.ts';

export default defineJob((env) => {
  const a = env.source(generator({ partitions: 2, count: 3000, keys: 20, seed: 11 }), { name: 'a' }).map((e) => ({ k: e.key, n: 1 }));
  const b = env.source(generator({ partitions: 1, count: 1000, keys: 20, seed: 12 }), { name: 'b' }).map((e) => ({ k: e.key, n: 10 }));
  a.union(b)
    .keyBy((r) => r.k)
    .reduce((x, y) => ({ k: x.k, n: x.n + y.n }))
    .sinkTo(collect('totals'));
});
