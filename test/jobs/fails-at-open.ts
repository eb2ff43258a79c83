// A job whose sink fails while its worker opens it, before the start gate: the job never runs.
import { defineJob } from '../../src/api/index.ts';
import { generator } from '../../src/connectors/index.ts';

export default defineJob((env) => {
  env.source(generator({ partitions: 1, count: 10, seed: 1 }), { name: 'events' }).sinkTo({
    kind: 'refuses-to-open',
    name: 'refuses',
    open() {
      throw new Error('this sink cannot open');
    },
  });
});
