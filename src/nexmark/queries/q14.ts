// Nexmark q14, calculation: bids in a price range, with their price in euros, when in the day each
// was made, and how many 'c's its extra holds.
//   SELECT auction, bidder, 0.908 * price AS price,
//          CASE WHEN HOUR(dateTime) >= 8 AND HOUR(dateTime) <= 18 THEN 'dayTime'
//               WHEN HOUR(dateTime) <= 6 OR HOUR(dateTime) >= 20 THEN 'nightTime'
//               ELSE 'otherTime' END AS bidTimeType,
//          dateTime, extra, count_char(extra, 'c') AS c_counts
//   FROM bid WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000
import { defineJob } from '../../api/job.ts';
import { bidTimeType, countChar } from '../calculations.ts';
import { bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import type { BidCalculationRow } from '../rows.ts';
import { toEuros } from './q1.ts';

export default defineJob(
  (env) => {
    bidsOf(nexmarkInput(env))
      .filter((b) => toEuros(b.price) > 1_000_000 && toEuros(b.price) < 50_000_000, { name: 'q14-price-range' })
      .map(
        (b): BidCalculationRow => ({
          auction: b.auction,
          bidder: b.bidder,
          price: toEuros(b.price),
          bidTimeType: bidTimeType(b.dateTime),
          dateTime: b.dateTime,
          extra: b.extra,
          c_counts: countChar(b.extra, 'c'),
        }),
        { name: 'q14-calculate' },
      )
      .sinkTo(nexmarkSink<BidCalculationRow>(env, 'q14'));
  },
  { name: 'nexmark-q14' },
);
