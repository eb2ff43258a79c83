// Running statistics in keyed state on real workers: generated events keyed by key, per key a
// RunningStats of the values and an Ewma (alpha 0.1) in value state (LMDB by default), emitted with
// every record. Parameters: count.
import { defineJob, Ewma, RunningStats } from '../../src/api/index.ts';
import { collect, generator } from '../../src/connectors/index.ts';

export interface KeyStats {
  key: number;
  stats: RunningStats;
  ewma: Ewma;
}

export default defineJob((env) => {
  env
    .source(generator({ partitions: 2, count: env.numberParam('count', 4000), keys: 7, seed: 11 }), { name: 'events' })
    .keyBy((e) => e.key, { name: 'by-key' })
    .process<KeyStats>((e, ctx) => {
      const stats = ctx.valueState<RunningStats>('stats');
      const ewma = ctx.valueState<Ewma>('ewma');
      const nextStats = RunningStats.add(stats.value() ?? RunningStats.empty(), e.value);
      const nextEwma = Ewma.add(ewma.value() ?? Ewma.empty(), e.value, 0.1);
      stats.update(nextStats);
      ewma.update(nextEwma);
      ctx.emit({ key: e.key, stats: nextStats, ewma: nextEwma });
    }, { name: 'stats' })
    .sinkTo(collect('out'));
});
