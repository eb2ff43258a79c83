// Nexmark q13, bounded side input join: each bid with the value a static table holds for its
// auction id mod 10 000.
//   SELECT B.auction, B.bidder, B.price, B.dateTime, S.value
//   FROM (SELECT *, PROCTIME() AS p_time FROM bid) B
//   JOIN side_input FOR SYSTEM_TIME AS OF B.p_time AS S ON mod(B.auction, 10000) = S.key
// A lookup join against a table that does not change: each worker loads the table when it opens
// (from --param sideInput=<CSV file of key,value lines>, or made in memory from --param
// sideInputSeed, default 1: connectors/nexmark/side-input.ts) and enriches bids where they are, with no exchange. Every key
// 0 … 9 999 is in the table, so every bid has its row.
import { defineJob } from '../../api/job.ts';
import { nexmarkSideInput, readNexmarkSideInput } from '../../connectors/nexmark/side-input.ts';
import { bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import type { SideInputBidRow } from '../rows.ts';

export const q13Keys = 10_000;

export default defineJob(
  (env) => {
    const file = env.params.sideInput;
    const seed = env.numberParam('sideInputSeed', 1);
    let table = new Map<number, string>();
    bidsOf(nexmarkInput(env))
      .process<SideInputBidRow>(
        {
          open() {
            table = file !== undefined ? readNexmarkSideInput(file) : nexmarkSideInput(seed);
          },
          processElement(b, ctx) {
            const value = table.get(b.auction % q13Keys);
            if (value !== undefined) ctx.emit({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, value });
          },
        },
        { name: 'q13-side-input' },
      )
      .sinkTo(nexmarkSink<SideInputBidRow>(env, 'q13'));
  },
  { name: 'nexmark-q13' },
);
