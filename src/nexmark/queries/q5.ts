// Nexmark q5, hot items: for every sliding window of 10 s every 2 s, the auctions with the most bids.
//   bids per (auction, HOP(dateTime, 2 s, 10 s)), joined to the maximum count of the same window
//   on num >= maxn
// Two steps: bids per auction and window (a keyed sliding-window count), then per window the
// auctions with the largest count. The counts of one window come from every worker, with the
// window's last instant as their time; the second step keeps the leaders of each window and sends
// them when the watermark passes that instant, by which time every count of the window is in.
// Two local phases keep the exchanges small: each worker counts its bids per auction and 2 s pane
// before the first (pre-aggregation, from the aggregate's merge), and drops the counts its own
// higher ones have beaten before the second.
import { defineJob } from '../../api/job.ts';
import { SlidingEventTimeWindows } from '../../time/windows.ts';
import { bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import { localLeaders } from '../local-leaders.ts';
import type { HotItemRow } from '../rows.ts';

export const q5Window = { sizeMs: 10_000, slideMs: 2_000 };

interface Leaders {
  num: number;
  auctions: number[];
}

export default defineJob(
  (env) => {
    bidsOf(nexmarkInput(env))
      .map((b) => b.auction, { name: 'q5-auction' })
      .keyBy((auction) => auction, { name: 'q5-by-auction' })
      .window(SlidingEventTimeWindows.of(q5Window.sizeMs, q5Window.slideMs))
      .aggregate<number, number, HotItemRow>(
        // With merge, each worker counts an auction's bids per 2 s pane before the exchange (pre-aggregation).
        { createAccumulator: () => 0, add: (_auction: number, n: number) => n + 1, getResult: (n: number) => n, merge: (a: number, b: number) => a + b },
        (auction, window, [num], out) => out.collect({ auction, num, starttime: window.start, endtime: window.end }),
        { name: 'q5-count' },
      )
      // Only the counts that raise or tie this worker's highest of their window cross (local-leaders.ts).
      .process<HotItemRow>(localLeaders<HotItemRow>({ windowOf: (r) => r.starttime, score: (r) => r.num, rememberMs: 2 * q5Window.sizeMs }), { name: 'q5-local-leaders' })
      .keyBy((r) => r.starttime, { name: 'q5-by-window' })
      .process<HotItemRow>(
        {
          processElement(r, ctx) {
            const state = ctx.valueState<Leaders>('leaders');
            const leaders = state.value();
            if (leaders === undefined || r.num > leaders.num) {
              state.update({ num: r.num, auctions: [r.auction] });
              ctx.timerService.registerEventTimeTimer(r.endtime - 1);
            } else if (r.num === leaders.num) {
              state.update({ num: leaders.num, auctions: [...leaders.auctions, r.auction] });
            }
          },
          onTimer(_timestampMs, ctx) {
            const state = ctx.valueState<Leaders>('leaders');
            const leaders = state.value();
            if (leaders === undefined) return;
            const starttime = ctx.key;
            for (const auction of leaders.auctions) ctx.emit({ auction, num: leaders.num, starttime, endtime: starttime + q5Window.sizeMs });
            state.clear();
          },
        },
        { name: 'q5-max' },
      )
      .sinkTo(nexmarkSink<HotItemRow>(env, 'q5'));
  },
  { name: 'nexmark-q5' },
);
