import type { SinkSpec } from '../src/connectors/types.ts';

/** A sink for benchmarks: counts what reaches it (its result, per worker) and keeps nothing. */
export const discard: SinkSpec<unknown> = {
  kind: 'discard',
  name: 'results',
  open() {
    let records = 0;
    return { write: () => void records++, flush() {}, close() {}, result: () => [records] };
  },
};
