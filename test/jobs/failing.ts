// Jobs that fail on purpose; `what` picks the failure.
import { defineJob } from '../../src/api/index.ts';
import { collect, generator } from '../../src/connectors/index.ts';

export default defineJob((env) => {
  const what = env.params.what;
  const events = env.source(generator({ partitions: 2, count: 50_000, keys: 10, seed: 1 }), { name: 'events' });
  const mapped = events.map((e) => {
    if (what === 'throw' && e.seq === 1234) throw new TypeError('bad record 1234');
    if (what === 'exit' && e.seq === 2000) process.exit(3);
    return e;
  }, { name: 'check' });
  const keyed = mapped.keyBy((e) => (what === 'no-key' && e.seq === 77 ? undefined : e.key), { name: 'by-key' });
  keyed
    .process<unknown>((e, ctx) => {
      if (what === 'huge' && e.seq === 10) ctx.emit('x'.repeat(64 * 1024));
      ctx.emit(e);
    }, { name: 'maybe-huge' })
    .keyBy(() => 1, { name: 'second-exchange' })
    .process((e, ctx) => ctx.emit(e))
    .sinkTo(collect('out'));
}, { ringCapacityBytes: 1 << 16 });
