// A keyed count whose sources open only once the file named by param `gate` exists, so a test
// sees the job in 'starting' for as long as it wants. Generator events at `rate`/s (default 2 000),
// bounded by `count` when given; the counts go to a sink that keeps nothing and, with param
// `closeGate`, does not close before that file exists (the job stays in 'stopping' until then).
import { existsSync } from 'node:fs';
import { defineJob } from '../../src/api/index.ts';
import { generator, type GeneratedEvent } from '../../src/connectors/index.ts';
import type { SinkSpec, SourceSpec } from '../../src/connectors/types.ts';

function gated<T>(inner: SourceSpec<T>, gate: string): SourceSpec<T> {
  return {
    kind: inner.kind,
    partitions: () => inner.partitions(),
    async open(partition, ctx, from) {
      while (!existsSync(gate)) await new Promise((r) => setTimeout(r, 10));
      return inner.open(partition, ctx, from);
    },
  };
}

function discard(closeGate: string | undefined): SinkSpec<unknown> {
  return {
    kind: 'discard',
    name: 'discard',
    open: () => ({
      write() {},
      flush() {},
      async close() {
        while (closeGate !== undefined && !existsSync(closeGate)) await new Promise((r) => setTimeout(r, 10));
      },
    }),
  };
}

export default defineJob((env) => {
  const count = env.params.count === undefined ? undefined : env.numberParam('count', 0);
  const events = generator({ partitions: 2, count, keys: 10, seed: 3, ratePerSec: env.numberParam('rate', 2_000) });
  env
    .source(gated<GeneratedEvent>(events, env.params.gate ?? ''), { name: 'events' })
    .keyBy((e) => e.key, { name: 'by-key' })
    .process<{ key: number; n: number }>((e, ctx) => {
      const seen = ctx.valueState<number>('seen');
      const n = (seen.value() ?? 0) + 1;
      seen.update(n);
      ctx.emit({ key: e.key, n });
    }, { name: 'count' })
    .sinkTo(discard(env.params.closeGate));
}, { name: 'gated-start' });
