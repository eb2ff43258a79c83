// A map that reuses one object for every record it emits (as a user may, to save allocation), a
// Date among its fields, keyed across two workers: each worker sends half its records to itself.
// `--param pad=N` adds a string of N characters to each record.
import { defineJob } from '../../src/api/index.ts';
import { collect } from '../../src/connectors/index.ts';
import { listSource } from './list-source.ts';

const perPartition = 5_000;

export default defineJob((env) => {
  const partitions = [0, 1].map((p) => Array.from({ length: perPartition }, (_, i) => ({ k: i % 97, n: p * perPartition + i })));
  const pad = 'x'.repeat(Number(env.params.pad ?? 0));
  const reused = { k: 0, n: 0, tags: [] as number[], at: new Date(0), pad };
  env
    .source(listSource(partitions, { bounded: true }), { name: 'numbers' })
    .map((r) => {
      reused.k = r.k;
      reused.n = r.n;
      reused.tags = [r.n, -r.n];
      reused.at = new Date(r.n);
      return reused;
    }, { name: 'into-one-object' })
    .keyBy((r) => r.k, { name: 'by-k' })
    .process<string>((r, ctx) => ctx.emit(`${r.k}:${r.n}:${r.tags.join(',')}:${typeof r.at === 'string' ? r.at : 'not a string'}${r.pad === pad ? '' : ':pad changed'}`), { name: 'seen' })
    .sinkTo(collect('seen'));
});
