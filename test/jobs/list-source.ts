// A source over fixed in-memory records, one array per partition, for event-time tests. A
// partition either ends after its records (bounded) or stays open and silent (like a Kafka
// partition nobody writes to), which is what idleness detection is about.
import { END, type SourceSpec } from '../../src/connectors/types.ts';

export function listSource<T>(partitions: T[][], opts: { bounded: boolean; timestampOf?: (value: T) => number }): SourceSpec<T> {
  return {
    kind: 'list',
    partitions: () => partitions.length,
    open(partition) {
      const records = partitions[partition];
      let next = 0;
      return {
        poll(max, out) {
          if (next >= records.length) return opts.bounded ? END : 0;
          const first = next;
          const stop = Math.min(records.length, next + max);
          for (; next < stop; next++) out.emit(records[next], next, opts.timestampOf?.(records[next]) ?? NaN, performance.timeOrigin + performance.now());
          return next - first;
        },
        idleMs: () => (next >= records.length ? 20 : 0),
        position: () => next,
        close() {},
      };
    },
  };
}
