// Nexmark q0, pass-through: every bid, projected to the sink's columns. Measures the cost of
// reading, parsing and writing and nothing else.
//   SELECT auction, bidder, price, dateTime, extra FROM bid
import { defineJob } from '../../api/job.ts';
import { bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import { bidRow, type BidRow } from '../rows.ts';

export default defineJob(
  (env) => {
    bidsOf(nexmarkInput(env))
      .map(bidRow, { name: 'q0-project' })
      .sinkTo(nexmarkSink<BidRow>(env, 'q0'));
  },
  { name: 'nexmark-q0' },
);
