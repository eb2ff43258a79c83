// A small checkpointing job for restore-identity tests: generated events (the same records as
// checkpointed-counts' source, for a given count) keyed by key, and a running total per key in
// keyed state, emitted with every record. Parameters: count, op (the uid of the stateful operator,
// default "totals"), rate (records/s in all; default 0: as fast as possible). The job's name comes from the run options (`name`), default "keyed-totals".
import { defineJob } from '../../src/api/index.ts';
import { collect, generator, type GeneratedEvent } from '../../src/connectors/index.ts';

export default defineJob((env) => {
  const op = env.params.op ?? 'totals';
  env
    .source(generator({ partitions: 2, count: env.numberParam('count', 2_000), keys: 20, seed: 5, ratePerSec: env.numberParam('rate', 0) }), { name: 'events' })
    .keyBy((e: GeneratedEvent) => e.key, { name: 'by-key' })
    .process<string>((e, ctx) => {
      const total = ctx.valueState<number>('total');
      const n = (total.value() ?? 0) + 1;
      total.update(n);
      ctx.emit(`${op} ${e.key} ${n}`);
    }, { name: op, uid: op })
    .sinkTo(collect<string>('out'));
}, { name: 'keyed-totals' });
