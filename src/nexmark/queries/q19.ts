// Nexmark q19, auction top-10 price: the ten highest bids of each auction, with their rank.
//   SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rank_number FROM bid)
//   WHERE rank_number <= 10
// The SQL's result is a changelog of the rows (auction, rank_number); weir emits the rows whose bid
// changed as bids enter their auction's ten (an upsert stream keyed by auction and rank: a new bid
// at rank r moves the ones below it down a rank). Ties of price, which the SQL leaves to chance,
// go to the earlier bid, then the lower bidder, then the smaller extra (winning-bids.ts:
// betterBid), so the ranks never depend on arrival order.
//
// Each worker keeps, of the bids of an auction it sends within a batch, only the batch's ten best
// (keyBy's combine, as Flink's mini-batch local-global Top-N): a bid with ten better ones in its
// own batch can never be in the ten. Half of all bids go to the hot auction, so most never cross.
// The rows are then one update per batch and rank, not one per bid; the final row of each auction
// and rank is the SQL's.
import { defineJob } from '../../api/job.ts';
import type { DataStream } from '../../api/stream.ts';
import type { Bid } from '../../connectors/nexmark/model.ts';
import { bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import type { RankedBidRow } from '../rows.ts';
import { betterBid } from '../winning-bids.ts';

export const q19TopN = 10;

/** A batch's best bids of one auction, best first (what combine makes of several bids). */
interface BestBids {
  auction: number;
  top: Bid[];
}

const bidsIn = (r: Bid | BestBids): Bid[] => ('top' in r ? r.top : [r]);

/** Puts `b` into `top` (best first, at most q19TopN); returns its rank index, or q19TopN when it is not among them. */
function insert(top: Bid[], b: Bid): number {
  let at = top.length;
  while (at > 0 && betterBid(b, top[at - 1])) at--;
  if (at >= q19TopN) return q19TopN;
  top.splice(at, 0, b);
  if (top.length > q19TopN) top.pop();
  return at;
}

export default defineJob(
  (env) => {
    const bids: DataStream<Bid | BestBids> = bidsOf(nexmarkInput(env));
    bids
      .keyBy((r) => r.auction, {
        name: 'q19-by-auction',
        // `earlier` is a bid or a BestBids this function made: only the latter is changed.
        combine: (earlier, later) => {
          const best = 'top' in earlier ? earlier : { auction: earlier.auction, top: [earlier] };
          for (const b of bidsIn(later)) insert(best.top, b);
          return best;
        },
      })
      .process<RankedBidRow>(
        (r, ctx) => {
          const state = ctx.valueState<Bid[]>('top');
          const top = [...(state.value() ?? [])];
          let changedFrom = q19TopN;
          for (const b of bidsIn(r)) changedFrom = Math.min(changedFrom, insert(top, b));
          if (changedFrom >= q19TopN) return; // none among the ten
          state.update(top);
          for (let rank = changedFrom; rank < top.length; rank++) ctx.emit({ ...top[rank], rank_number: rank + 1 });
        },
        { name: 'q19-top-10' },
      )
      .sinkTo(nexmarkSink<RankedBidRow>(env, 'q19'));
  },
  { name: 'nexmark-q19' },
);
