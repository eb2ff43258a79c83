// Nexmark q7, highest bid: the bids whose price is the highest of a 10 s tumbling window.
//   SELECT B.auction, B.price, B.bidder, B.dateTime, B.extra FROM bid B
//   JOIN (SELECT MAX(price) AS maxprice, window_end AS dateTime
//         FROM TUMBLE(bid, dateTime, 10 s) GROUP BY window_start, window_end) B1
//   ON B.price = B1.maxprice WHERE B.dateTime BETWEEN B1.dateTime - 10 s AND B1.dateTime
// BETWEEN is inclusive at both ends: a bid at exactly a window's end (which belongs to the next
// window) also matches that window's maximum. So every bid goes to its own window and, when it lies
// on a window boundary, to the window before as a candidate that does not count towards the
// maximum. Per window (keyed by its start, so windows spread over workers) the operator keeps the
// maximum and the bids at it; it emits them when the watermark passes the window's end.
//
// Every bid of a window has the same key, so without more every bid would cross to the one worker
// that owns the window. Each worker first drops the candidates its own earlier ones have beaten
// (`q7-local-highest`, local-leaders.ts).
// (The SQL's SELECT lists price before bidder while its sink declares bidder first, so Flink's sink
// columns come out swapped; weir's rows name each value by what it is.)
import { defineJob } from '../../api/job.ts';
import { bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import { localLeaders } from '../local-leaders.ts';
import { bidRow, type BidRow } from '../rows.ts';

export const q7WindowMs = 10_000;
/** How many windows before the newest one a worker remembers its highest price for. */
const rememberedWindows = 4;

interface Candidate {
  start: number;
  bid: BidRow;
  /** On the window's end: matches its maximum but is not part of it. */
  edge: boolean;
}

interface Highest {
  price: number;
  bids: BidRow[];
  edge: BidRow[];
}

export default defineJob(
  (env) => {
    bidsOf(nexmarkInput(env))
      .flatMap<Candidate>(
        (b, out) => {
          // Only what the rows carry crosses the exchange (not the bid's channel and url).
          const bid = bidRow(b);
          const start = b.dateTime - (((b.dateTime % q7WindowMs) + q7WindowMs) % q7WindowMs);
          out.collect({ start, bid, edge: false });
          if (start === b.dateTime) out.collect({ start: start - q7WindowMs, bid, edge: true });
        },
        { name: 'q7-windows' },
      )
      .process<Candidate>(
        localLeaders<Candidate>({ windowOf: (c) => c.start, score: (c) => c.bid.price, raises: (c) => !c.edge, rememberMs: rememberedWindows * q7WindowMs }),
        { name: 'q7-local-highest' },
      )
      .keyBy((c) => c.start, { name: 'q7-by-window' })
      .process<BidRow>(
        {
          processElement(c, ctx) {
            const state = ctx.valueState<Highest>('highest');
            const h = state.value() ?? { price: -1, bids: [], edge: [] };
            if (c.edge) {
              if (c.bid.price >= h.price) state.update({ ...h, edge: [...h.edge, c.bid] });
            } else if (c.bid.price > h.price) {
              state.update({ price: c.bid.price, bids: [c.bid], edge: h.edge.filter((b) => b.price >= c.bid.price) });
            } else if (c.bid.price === h.price) {
              state.update({ ...h, bids: [...h.bids, c.bid] });
            }
            // One timer per window (registering again is the same timer); a window that only ever
            // saw edge candidates has no maximum, emits nothing, and is cleared then too.
            ctx.timerService.registerEventTimeTimer(c.start + q7WindowMs);
          },
          onTimer(_timestampMs, ctx) {
            const state = ctx.valueState<Highest>('highest');
            const h = state.value();
            if (h === undefined) return;
            for (const b of h.bids) ctx.emit(b);
            for (const b of h.edge) if (b.price === h.price) ctx.emit(b);
            state.clear();
          },
        },
        { name: 'q7-highest' },
      )
      .sinkTo(nexmarkSink<BidRow>(env, 'q7'));
  },
  { name: 'nexmark-q7' },
);
