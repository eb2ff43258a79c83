// Generator events (2 partitions) to a resultsSink 'out' read by the test in the main thread, and,
// when bounded (`count`), to a collect sink 'all' as well, to compare with. `padding` characters
// are added to each record; `batchRecords` and `batchesInFlight` set the results sink's bounds.
// `failAt`: the job fails once at that record seq (marker file `failed` in param `markers`).
import { join } from 'node:path';
import { defineJob } from '../../src/api/index.ts';
import { failsFirstTime } from './fails-first-time.ts';
import { collect, generator, resultsSink } from '../../src/connectors/index.ts';

export default defineJob((env) => {
  const count = env.params.count === undefined ? undefined : env.numberParam('count', 0);
  const padding = 'p'.repeat(env.numberParam('padding', 0));
  const events = env
    .source(generator({ partitions: 2, count, keys: 100, seed: 11 }), { name: 'events' })
    .map((e) => {
      if (e.seq === env.numberParam('failAt', -1) && failsFirstTime(join(env.params.markers, 'failed'))) throw new Error(`injected failure at ${e.seq}`);
      return { key: e.key, seq: e.seq, padding };
    }, { name: 'project' });
  events.sinkTo(resultsSink('out', { batchRecords: env.numberParam('batchRecords', 256), batchesInFlight: env.numberParam('batchesInFlight', 4) }));
  if (count !== undefined) events.sinkTo(collect('all'));
}, { name: 'results' });

