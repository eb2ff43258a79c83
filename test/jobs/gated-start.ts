// A keyed count whose sink opens only once the file named by param `gate` exists: the workers pass
// the start gate only after their sinks opened, so a test sees the job in 'starting' for as long as
// it wants, however fast its threads start. Generator events at `rate`/s (default 2 000),
// bounded by `count` when given; the counts go to a sink that keeps nothing and, with param
// `closeGate`, does not close before that file exists (the job stays in 'stopping' until then).
import { existsSync } from 'node:fs';
import { defineJob } from '../../src/api/index.ts';
import { generator } from '../../src/connectors/index.ts';
import type { SinkSpec } from '../../src/connectors/types.ts';

/** Resolves once file `gate` exists. */
async function gateOpen(gate: string): Promise<void> {
  while (!existsSync(gate)) await new Promise((r) => setTimeout(r, 10));
}

function discard(gate: string, closeGate: string | undefined): SinkSpec<unknown> {
  return {
    kind: 'discard',
    name: 'discard',
    async open() {
      await gateOpen(gate);
      return {
        write() {},
        flush() {},
        async close() {
          if (closeGate !== undefined) await gateOpen(closeGate);
        },
      };
    },
  };
}

export default defineJob((env) => {
  const count = env.params.count === undefined ? undefined : env.numberParam('count', 0);
  const events = generator({ partitions: 2, count, keys: 10, seed: 3, ratePerSec: env.numberParam('rate', 2_000) });
  env
    .source(events, { name: 'events' })
    .keyBy((e) => e.key, { name: 'by-key' })
    .process<{ key: number; n: number }>((e, ctx) => {
      const seen = ctx.valueState<number>('seen');
      const n = (seen.value() ?? 0) + 1;
      seen.update(n);
      ctx.emit({ key: e.key, n });
    }, { name: 'count' })
    .sinkTo(discard(env.params.gate ?? '', env.params.closeGate));
}, { name: 'gated-start' });
