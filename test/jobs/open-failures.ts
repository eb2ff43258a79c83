// Jobs whose worker fails while it opens its parts; `what` picks the part.
//   sink-throws: a sink whose open() throws a plain Error.
//   dead-letters-throw: the same for the dead-letter sink.
//   transactional: a transactionalFileSink into `dir` (which a test fills with another run's output).
import { defineJob } from '../../src/api/index.ts';
import { collect, generator, transactionalFileSink, type SinkSpec } from '../../src/connectors/index.ts';

function unreachable(name: string): SinkSpec<unknown> {
  return {
    kind: 'test',
    name,
    open: () => {
      throw new Error(`cannot reach the archive for ${name}`);
    },
  };
}

export default defineJob((env) => {
  const what = env.params.what;
  if (what === 'dead-letters-throw') env.deadLetterTo(unreachable('archive-dlq'));
  const events = env.source(generator({ partitions: 2, count: 1_000, keys: 10, seed: 3 }), { name: 'events' });
  const sink = what === 'sink-throws' ? unreachable('archive') : what === 'transactional' ? transactionalFileSink<unknown>({ dir: env.params.dir }) : collect('out');
  events.keyBy((e) => e.key).process((e, ctx) => ctx.emit(e.seq), { name: 'pass' }).sinkTo(sink);
}, { name: 'open-failures' });
