// Nexmark q8, monitor new users: persons who opened an auction in the same 10 s tumbling window
// as they registered.
//   SELECT P.id, P.name, P.starttime FROM
//     (SELECT id, name, window_start AS starttime, window_end AS endtime
//      FROM TUMBLE(person, dateTime, 10 s) GROUP BY id, name, window_start, window_end) P
//   JOIN (SELECT seller, window_start AS starttime, window_end AS endtime
//         FROM TUMBLE(auction, dateTime, 10 s) GROUP BY seller, window_start, window_end) A
//   ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime
// A windowed coGroup of persons (by id) and auctions (by seller): one row per person and window
// with at least one of their auctions in it. The coGroup function is not told its window, so each
// person carries the start of its window (its dateTime rounded down to 10 s, as TUMBLE aligns).
import { defineJob } from '../../api/job.ts';
import { coGroup } from '../../api/joins.ts';
import { TumblingEventTimeWindows } from '../../time/windows.ts';
import { auctionsOf, nexmarkInput, nexmarkSink, personsOf } from '../job-input.ts';
import type { NewUserRow } from '../rows.ts';

export const q8WindowMs = 10_000;

export default defineJob(
  (env) => {
    const events = nexmarkInput(env);
    const persons = personsOf(events).map((p): NewUserRow => ({ id: p.id, name: p.name, stime: p.dateTime - (p.dateTime % q8WindowMs) }), { name: 'q8-person' });
    const sellers = auctionsOf(events).map((a) => a.seller, { name: 'q8-seller' });
    coGroup(persons, sellers)
      .where((p) => p.id)
      .equalTo((seller) => seller)
      .window(TumblingEventTimeWindows.of(q8WindowMs))
      .apply<NewUserRow>(
        (people, auctions, out) => {
          if (auctions.length === 0) return;
          const seen = new Set<string>();
          for (const p of people) {
            const row = `${p.id}|${p.name}`;
            if (!seen.has(row)) {
              seen.add(row);
              out.collect(p);
            }
          }
        },
        { name: 'q8-join' },
      )
      .sinkTo(nexmarkSink<NewUserRow>(env, 'q8'));
  },
  { name: 'nexmark-q8' },
);
