// Jobs whose connectors fail; `what` picks how.
//   sink-throws: a sink whose open() throws a plain Error.
//   dead-letters-throw: the same for the dead-letter sink.
//   transactional: a transactionalFileSink into `dir` (which a test fills with another run's output).
//   flush-throws: a sink whose flush() throws a plain Error.
//   poll-throws: a source whose poll() throws a plain Error after 100 records.
//   idle-throws: a source with nothing to read whose idleMs() throws a plain Error (an unexpected
//   exception in the worker's own loop, outside any connector call weir wraps).
import { defineJob } from '../../src/api/index.ts';
import { collect, generator, transactionalFileSink, type SinkSpec, type SourceSpec } from '../../src/connectors/index.ts';

function unreachable(name: string): SinkSpec<unknown> {
  return {
    kind: 'test',
    name,
    open: () => {
      throw new Error(`cannot reach the archive for ${name}`);
    },
  };
}

function failingFlush(name: string): SinkSpec<unknown> {
  return {
    kind: 'test',
    name,
    open: () => ({
      write() {},
      flush() {
        throw new Error('disk gone');
      },
      close() {},
    }),
  };
}

function flakySource(what: string): SourceSpec<number> {
  return {
    kind: 'test',
    partitions: () => 1,
    open: () => {
      let next = 0;
      return {
        poll(max, out) {
          if (what === 'idle-throws') return 0;
          if (next >= 100) throw new Error('socket closed');
          const n = Math.min(max, 100 - next);
          for (let i = 0; i < n; i++, next++) out.emit(next, next, NaN, NaN);
          return n;
        },
        idleMs() {
          throw new Error('idle clock broken');
        },
        position: () => next,
        close() {},
      };
    },
  };
}

export default defineJob((env) => {
  const what = env.params.what;
  if (what === 'dead-letters-throw') env.deadLetterTo(unreachable('archive-dlq'));
  if (what === 'poll-throws' || what === 'idle-throws') {
    env.source(flakySource(what), { name: 'flaky' }).sinkTo(collect('out'));
    return;
  }
  const events = env.source(generator({ partitions: 2, count: 1_000, keys: 10, seed: 3 }), { name: 'events' });
  const sink =
    what === 'sink-throws' ? unreachable('archive') : what === 'flush-throws' ? failingFlush('archive') : what === 'transactional' ? transactionalFileSink<unknown>({ dir: env.params.dir }) : collect('out');
  events.keyBy((e) => e.key).process((e, ctx) => ctx.emit(e.seq), { name: 'pass' }).sinkTo(sink);
}, { name: 'connector-failures' });
