// q3 by hand: category-10 auctions joined to sellers in OR, ID or CA, as either side arrives.
import type { LocalItemRow } from '../../src/nexmark/rows.ts';
import type { Baseline } from './baseline.ts';

export const q3: Baseline<LocalItemRow> = (events, emit) => {
  const sellers = new Map<number, { name: string; city: string; state: string }>();
  const waiting = new Map<number, number[]>();
  for (const e of events) {
    const p = e.person;
    if (p !== null) {
      if (p.state !== 'OR' && p.state !== 'ID' && p.state !== 'CA') continue;
      sellers.set(p.id, { name: p.name, city: p.city, state: p.state });
      const auctions = waiting.get(p.id);
      if (auctions !== undefined) {
        for (const id of auctions) emit({ name: p.name, city: p.city, state: p.state, id });
        waiting.delete(p.id);
      }
      continue;
    }
    const a = e.auction;
    if (a === null || a.category !== 10) continue;
    const seller = sellers.get(a.seller);
    if (seller !== undefined) emit({ name: seller.name, city: seller.city, state: seller.state, id: a.id });
    else {
      const list = waiting.get(a.seller);
      if (list === undefined) waiting.set(a.seller, [a.id]);
      else list.push(a.id);
    }
  }
};
