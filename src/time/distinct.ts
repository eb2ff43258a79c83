/**
 * The contents of a distinct window: the first record of each distinct value, by the value's JSON
 * text. Stored as plain data (keyed state): the texts seen, as the keys of an object (prefixed,
 * so that none is integer-like or '__proto__'), and the records kept, in arrival order.
 *
 * The contents only grow by a record that passed the window operator's check (`appends`), so an
 * update does not walk them again; and they are never pre-aggregated (no `mergeInto`): a partial
 * would carry every distinct record of its pane across the exchange as one record, past the
 * exchange's size limit for a busy key.
 */
import { expectSync } from '../functions/sync.ts';
import type { WindowContents } from './window-functions.ts';

export interface DistinctRecords<T> {
  seen: Record<string, 1>;
  records: T[];
}

export function distinctContents<T>(by: ((value: T) => unknown) | undefined): WindowContents<T, DistinctRecords<T>, T> {
  const textOf = (value: T): string => {
    const distinctBy = by === undefined ? value : expectSync(by(value), 'distinct function');
    return `v${typeof distinctBy === 'string' ? `s${distinctBy}` : JSON.stringify(distinctBy)}`;
  };
  const keep = (acc: DistinctRecords<T>, value: T): DistinctRecords<T> => {
    const text = textOf(value);
    if (acc.seen[text] === undefined) {
      acc.seen[text] = 1;
      acc.records.push(value);
    }
    return acc;
  };
  return {
    add: (contents, value) => keep(contents ?? { seen: {}, records: [] }, value),
    // Sessions: one window's records, then those of the other that it did not have.
    merge: (a, b) => b.records.reduce(keep, a),
    elements: (contents) => contents.records,
    appends: true,
  };
}
