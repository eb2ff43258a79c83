// Nexmark q12, processing-time windows: bids per bidder per 10 s of the operator's wall clock.
//   SELECT bidder, count(*) AS bid_count, window_start AS starttime, window_end AS endtime
//   FROM TUMBLE((SELECT *, PROCTIME() AS p_time FROM bid), p_time, 10 s)
//   GROUP BY bidder, window_start, window_end
// Which window a bid falls in depends on when it is processed, so runs differ; what never differs
// is that each bid is counted in exactly one window of its bidder.
//
// Written as a keyed process function rather than with TumblingProcessingTimeWindows: a
// processing-time window still open when a bounded input ends never fires there (its timer waits
// for a clock the finished job no longer runs), so the last 10 s of counts would be lost. Here a
// bidder's open window closes when the clock passes its end, or — through an event-time timer at
// +∞, which the end of input fires — when the input ends.
import { defineJob } from '../../api/job.ts';
import { bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import type { BidderCountRow } from '../rows.ts';

export const q12WindowMs = 10_000;

interface Open {
  starttime: number;
  count: number;
}

export default defineJob(
  (env) => {
    const windowMs = env.numberParam('windowMs', q12WindowMs);
    bidsOf(nexmarkInput(env))
      // Only the bidder crosses the exchange: the count reads nothing else of a bid.
      .map((b) => b.bidder, { name: 'q12-bidder' })
      .keyBy((bidder) => bidder, { name: 'q12-by-bidder' })
      .process<BidderCountRow>(
        {
          processElement(_bid, ctx) {
            const nowMs = ctx.timerService.currentProcessingTime();
            const starttime = nowMs - (nowMs % windowMs);
            const state = ctx.valueState<Open>('window');
            const open = state.value();
            if (open !== undefined && open.starttime === starttime) {
              state.update({ starttime, count: open.count + 1 });
              return;
            }
            if (open !== undefined) ctx.emit({ bidder: ctx.key, bid_count: open.count, starttime: open.starttime, endtime: open.starttime + windowMs });
            state.update({ starttime, count: 1 });
            ctx.timerService.registerProcessingTimeTimer(starttime + windowMs - 1);
            ctx.timerService.registerEventTimeTimer(Number.POSITIVE_INFINITY);
          },
          onTimer(timestampMs, ctx) {
            const state = ctx.valueState<Open>('window');
            const open = state.value();
            if (open === undefined) return;
            if (ctx.timeDomain === 'processing-time' && timestampMs < open.starttime + windowMs - 1) return; // an older window's timer
            ctx.emit({ bidder: ctx.key, bid_count: open.count, starttime: open.starttime, endtime: open.starttime + windowMs }, open.starttime + windowMs - 1);
            state.clear();
          },
        },
        { name: 'q12-count' },
      )
      .sinkTo(nexmarkSink<BidderCountRow>(env, 'q12'));
  },
  { name: 'nexmark-q12' },
);
