// A bounded keyed pipeline used by the runtime tests: generator → map → filter → flatMap → keyBy → reduce → collect.
import { defineJob } from '../../src/api/index.ts';
import { collect, generator, type GeneratedEvent } from '../../src/connectors/index.ts';

export default defineJob((env) => {
  const count = env.numberParam('count', 20_000);
  const partitions = env.numberParam('partitions', 2);
  const events = env.source(generator({ partitions, count, keys: 50, seed: 7 }), { name: 'events' });
  const doubled = events
    .map((e: GeneratedEvent) => ({ key: e.key, value: Math.floor(e.value) }), { name: 'project' })
    .filter((e) => e.value % 3 !== 0, { name: 'drop-thirds' })
    .flatMap<{ key: number; value: number }>((e, out) => {
      out.collect(e);
      if (e.value % 2 === 0) out.collect({ key: e.key, value: 1 });
    }, { name: 'explode' });
  doubled.sinkTo(collect('raw'));
  doubled
    .keyBy((e) => e.key)
    .reduce((a, b) => ({ key: a.key, value: a.value + b.value }), { name: 'sum' })
    .sinkTo(collect('sums'));
});
