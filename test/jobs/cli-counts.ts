// A small job for the command-line tests: counts per key from a generator, rate-limited (param
// `rate`, default 2 000 events/s); bounded by param `count`, unbounded without it.
import { defineJob } from '../../src/api/index.ts';
import { collect, generator } from '../../src/connectors/index.ts';

export default defineJob((env) => {
  const count = env.params.count === undefined ? undefined : env.numberParam('count', 0);
  env
    .source(generator({ partitions: 2, count, keys: 10, seed: 3, ratePerSec: env.numberParam('rate', 2_000) }), { name: 'events' })
    .keyBy((e) => e.key, { name: 'by-key' })
    .process<{ key: number; n: number }>((e, ctx) => {
      const seen = ctx.valueState<number>('seen');
      const n = (seen.value() ?? 0) + 1;
      seen.update(n);
      ctx.emit({ key: e.key, n });
    }, { name: 'count' })
    .sinkTo(collect('counts'));
}, { name: 'cli-counts' });
