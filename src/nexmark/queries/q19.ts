// Nexmark q19, auction top-10 price: the ten highest bids of each auction, with their rank.
//   SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rank_number FROM bid)
//   WHERE rank_number <= 10
// The SQL's result is a changelog of the rows (auction, rank_number); weir emits the rows whose bid
// changed whenever a bid enters its auction's ten (an upsert stream keyed by auction and rank: a
// new bid at rank r moves the ones below it down a rank). Ties of price, which the SQL leaves to
// chance, go to the earlier bid, then the lower bidder, then the smaller extra (winning-bids.ts:
// betterBid), so the ranks never depend on arrival order.
import { defineJob } from '../../api/job.ts';
import type { Bid } from '../../connectors/nexmark/model.ts';
import { bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import type { RankedBidRow } from '../rows.ts';
import { betterBid } from '../winning-bids.ts';

export const q19TopN = 10;

export default defineJob(
  (env) => {
    bidsOf(nexmarkInput(env))
      .keyBy((b) => b.auction, { name: 'q19-by-auction' })
      .process<RankedBidRow>(
        (b, ctx) => {
          const state = ctx.valueState<Bid[]>('top');
          const top = state.value() ?? [];
          let at = top.length;
          while (at > 0 && betterBid(b, top[at - 1])) at--;
          if (at >= q19TopN) return; // not among the ten
          const next = [...top.slice(0, at), b, ...top.slice(at, q19TopN - 1)];
          state.update(next);
          for (let r = at; r < next.length; r++) ctx.emit({ ...next[r], rank_number: r + 1 });
        },
        { name: 'q19-top-10' },
      )
      .sinkTo(nexmarkSink<RankedBidRow>(env, 'q19'));
  },
  { name: 'nexmark-q19' },
);
