// Nexmark q3, local item suggestion: auctions of category 10 by sellers in Oregon, Idaho or
// California, joined to their seller as either side arrives (an unbounded, incremental join:
// every match is emitted once, whichever of the person and the auction came first).
//   SELECT P.name, P.city, P.state, A.id FROM auction A INNER JOIN person P ON A.seller = P.id
//   WHERE A.category = 10 AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA')
// State: the persons of those states (by id) and the auctions still waiting for their seller. As
// in the SQL without a state TTL, it grows with the number of such persons.
import { defineJob } from '../../api/job.ts';
import { connect } from '../../api/joins.ts';
import { auctionsOf, nexmarkInput, nexmarkSink, personsOf } from '../job-input.ts';
import type { LocalItemRow } from '../rows.ts';

const states = new Set(['OR', 'ID', 'CA']);

interface Seller {
  name: string;
  city: string;
  state: string;
}

export default defineJob(
  (env) => {
    const events = nexmarkInput(env);
    const sellers = personsOf(events)
      .filter((p) => states.has(p.state), { name: 'q3-states' })
      .map((p) => ({ id: p.id, name: p.name, city: p.city, state: p.state }), { name: 'q3-seller' });
    const auctions = auctionsOf(events)
      .filter((a) => a.category === 10, { name: 'q3-category' })
      .map((a) => ({ id: a.id, seller: a.seller }), { name: 'q3-auction' });
    connect(sellers, auctions)
      .keyBy(
        (p) => p.id,
        (a) => a.seller,
        { name: 'q3-by-seller' },
      )
      .process<LocalItemRow>(
        {
          processElement1(p, ctx) {
            const seller: Seller = { name: p.name, city: p.city, state: p.state };
            ctx.valueState<Seller>('seller').update(seller);
            const waiting = ctx.listState<number>('auctions');
            for (const id of waiting.get()) ctx.emit({ ...seller, id });
            waiting.clear();
          },
          processElement2(a, ctx) {
            const seller = ctx.valueState<Seller>('seller').value();
            if (seller !== undefined) ctx.emit({ ...seller, id: a.id });
            else ctx.listState<number>('auctions').add(a.id);
          },
        },
        { name: 'q3-join' },
      )
      .sinkTo(nexmarkSink<LocalItemRow>(env, 'q3'));
  },
  { name: 'nexmark-q3' },
);
