/**
 * The contents of a distinct window: the first record of each distinct value, by the value's JSON
 * text. Stored as plain data (keyed state): the texts seen, as the keys of an object (prefixed,
 * so that none is integer-like or '__proto__'), and the records kept, in arrival order.
 */
import type { AggregateFunction } from '../functions/contracts.ts';
import { expectSync } from '../functions/sync.ts';

export interface DistinctRecords<T> {
  seen: Record<string, 1>;
  records: T[];
}

export function distinctRecords<T>(by: ((value: T) => unknown) | undefined): AggregateFunction<T, DistinctRecords<T>, T[]> {
  const textOf = (value: T): string => {
    const distinctBy = by === undefined ? value : expectSync(by(value), 'distinct function');
    return `v${typeof distinctBy === 'string' ? `s${distinctBy}` : JSON.stringify(distinctBy)}`;
  };
  return {
    createAccumulator: () => ({ seen: {}, records: [] }),
    add: (value, acc) => {
      const text = textOf(value);
      if (acc.seen[text] === undefined) {
        acc.seen[text] = 1;
        acc.records.push(value);
      }
      return acc;
    },
    // Sessions: one window's records, then those of the other that it did not have.
    merge: (a, b) => {
      for (const value of b.records) {
        const text = textOf(value);
        if (a.seen[text] === undefined) {
          a.seen[text] = 1;
          a.records.push(value);
        }
      }
      return a;
    },
    getResult: (acc) => acc.records,
  };
}
