// Nexmark q11, user sessions: bids per bidder per session, a session ending after 10 s of the
// bidder's event time without a bid.
//   SELECT B.bidder, count(*) AS bid_count, SESSION_START(B.dateTime, 10 s) AS starttime,
//          SESSION_END(B.dateTime, 10 s) AS endtime
//   FROM bid B GROUP BY B.bidder, SESSION(B.dateTime, 10 s)
// A session is [first bid, last bid + gap), as in Flink.
import { defineJob } from '../../api/job.ts';
import { EventTimeSessionWindows } from '../../time/windows.ts';
import { bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import type { BidderCountRow } from '../rows.ts';

export const q11GapMs = 10_000;

export default defineJob(
  (env) => {
    bidsOf(nexmarkInput(env))
      // Only the bidder crosses the exchange: the count reads nothing else of a bid.
      .map((b) => b.bidder, { name: 'q11-bidder' })
      .keyBy((bidder) => bidder, { name: 'q11-by-bidder' })
      .window(EventTimeSessionWindows.withGap(q11GapMs))
      .aggregate<number, number, BidderCountRow>(
        { createAccumulator: () => 0, add: (_bidder: number, n: number) => n + 1, getResult: (n: number) => n, merge: (a: number, b: number) => a + b },
        (bidder, window, [bid_count], out) => out.collect({ bidder, bid_count, starttime: window.start, endtime: window.end }),
        { name: 'q11-sessions' },
      )
      .sinkTo(nexmarkSink<BidderCountRow>(env, 'q11'));
  },
  { name: 'nexmark-q11' },
);
