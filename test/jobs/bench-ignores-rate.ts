// A job that ignores the bench harness's rate and seconds parameters: a fixed count of records,
// as fast as possible, done long before any warm-up ends. `weir bench` must not report success on it.
import { defineJob } from '../../src/api/index.ts';
import { collect, generator } from '../../src/connectors/index.ts';

export default defineJob((env) => {
  env
    .source(generator({ partitions: 2, count: 2_000, keys: 10, seed: 1 }), { name: 'events' })
    .map((e) => e.value, { name: 'value' })
    .sinkTo(collect('values'));
});
