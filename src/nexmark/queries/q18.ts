// Nexmark q18, find last bid: each bidder's last bid on each auction, a deduplication.
//   SELECT auction, bidder, price, channel, url, dateTime, extra
//   FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder, auction ORDER BY dateTime DESC) AS rank_number FROM bid)
//   WHERE rank_number <= 1
// The SQL's result is a changelog with one row per (bidder, auction); weir emits the row again
// whenever a later bid replaces it (an upsert stream keyed by bidder and auction). Ties of dateTime
// go to the higher price, then the larger extra (calculations.ts: laterBid).
//
// Each worker sends only the last of the bids of a bidder on an auction it sends within a batch
// (keyBy's combine, as Flink's mini-batch deduplication): 920 K bids cross as ~360 K on the
// suite's input. The rows are then one update per batch, not one per bid; the final row of each
// bidder and auction is the SQL's.
import { defineJob } from '../../api/job.ts';
import { laterBid } from '../calculations.ts';
import { bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import type { LastBidRow } from '../rows.ts';

export default defineJob(
  (env) => {
    bidsOf(nexmarkInput(env))
      .keyBy((b) => `${b.bidder}/${b.auction}`, { name: 'q18-by-bidder-auction', combine: (earlier, later) => (laterBid(later, earlier) ? later : earlier) })
      .process<LastBidRow>(
        (b, ctx) => {
          const last = ctx.valueState<LastBidRow>('last');
          const current = last.value();
          if (current !== undefined && !laterBid(b, current)) return;
          const row: LastBidRow = { auction: b.auction, bidder: b.bidder, price: b.price, channel: b.channel, url: b.url, dateTime: b.dateTime, extra: b.extra };
          last.update(row);
          ctx.emit(row);
        },
        { name: 'q18-last-bid' },
      )
      .sinkTo(nexmarkSink<LastBidRow>(env, 'q18'));
  },
  { name: 'nexmark-q18' },
);
