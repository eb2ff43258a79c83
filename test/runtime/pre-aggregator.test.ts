// The sending side of a pre-aggregated exchange, on its own: what it folds, what it sends as
// itself, and when it lets partials go (the rules in src/runtime/worker/pre-aggregator.ts).
import { describe, expect, it } from 'vitest';
import { PreAggregator, preAggregatedCodec, type PreAggregatedWire } from '../../src/runtime/worker/pre-aggregator.ts';
import { preAggregationOf } from '../../src/time/pre-aggregation.ts';
import { aggregateContents } from '../../src/time/window-functions.ts';
import { SlidingEventTimeWindows, TumblingEventTimeWindows, type TimeWindow, type WindowAssigner } from '../../src/time/windows.ts';
import { jsonCodec, stringCodec } from '../../src/channel/codec.ts';

const counting = aggregateContents<unknown, number, number>({ createAccumulator: () => 0, add: (_v, n) => n + 1, getResult: (n) => n, merge: (a, b) => a + b }, false);

function aggregator(assigner: WindowAssigner<unknown, TimeWindow> = TumblingEventTimeWindows.of(1_000)) {
  const sent: Array<{ key: unknown; wire: PreAggregatedWire; ts: number; offset: number }> = [];
  const spec = preAggregationOf(assigner, counting, false)!;
  const pre = new PreAggregator(spec, (key, wire, ts, _cr, _partition, offset) => void sent.push({ key, wire, ts, offset }));
  return { pre, sent };
}

describe('PreAggregator', () => {
  it('folds a key per pane and sends the partials of a pane when the watermark reaches its first window end, with the newest time and the last place', () => {
    const { pre, sent } = aggregator();
    pre.add('a', 1, 100, NaN, 0, 1);
    pre.add('a', 2, 900, NaN, 0, 2);
    pre.add('b', 3, 500, NaN, 0, 3);
    pre.add('a', 4, 1_200, NaN, 0, 4);
    pre.onWatermark(998, false);
    expect(sent).toEqual([]);
    pre.onWatermark(999, false);
    expect(sent).toEqual([
      { key: 'a', wire: { k: 'a', a: 2, n: 2 }, ts: 900, offset: 2 },
      { key: 'b', wire: { k: 'b', a: 1, n: 1 }, ts: 500, offset: 3 },
    ]);
    pre.flushAll();
    expect(sent.at(-1)).toEqual({ key: 'a', wire: { k: 'a', a: 1, n: 1 }, ts: 1_200, offset: 4 });
  });

  it('sends as itself a record one of whose windows may have fired downstream, a record without a time and one whose key is not a string or a number', () => {
    const { pre, sent } = aggregator(SlidingEventTimeWindows.of(2_000, 1_000));
    pre.onWatermark(1_999, false);
    pre.add('a', 'late for [0, 2000)', 1_500, NaN, 0, 1); // also in [1000, 3000), but one window may have fired
    pre.add('a', 'no time', NaN, NaN, 0, 2);
    pre.add({ id: 1 }, 'object key', 2_500, NaN, 0, 3);
    pre.add('a', 'folded', 2_500, NaN, 0, 4);
    expect(sent.map((s) => s.wire)).toEqual([{ r: 'late for [0, 2000)' }, { r: 'no time' }, { r: 'object key' }]);
    pre.flushAll();
    expect(sent.at(-1)!.wire).toEqual({ k: 'a', a: 1, n: 1 });
  });

  it('going idle sends everything, and from then on records go as themselves (the downstream watermark may pass this one)', () => {
    const { pre, sent } = aggregator();
    pre.add('a', 1, 100, NaN, 0, 1);
    pre.onWatermark(50, true);
    expect(sent.map((s) => s.wire)).toEqual([{ k: 'a', a: 1, n: 1 }]);
    pre.onWatermark(60, false);
    pre.add('a', 2, 5_000, NaN, 0, 2);
    expect(sent.map((s) => s.wire)).toEqual([{ k: 'a', a: 1, n: 1 }, { r: 2 }]);
  });

  it('its codec keeps whole records in the exchange codec and partials in objectCodec: back as JSON gives them', () => {
    const codec = preAggregatedCodec(stringCodec as never);
    const reader = preAggregatedCodec(stringCodec as never); // the other thread's
    const u8 = new Uint8Array(256);
    const dv = new DataView(u8.buffer);
    const wires = [
      { r: 'a record' },
      { k: 7, a: { count: 2 }, n: 2 },
      { k: 'auction-7', a: 3, n: 3 }, // q5's count: in binary
      { k: 8, a: [1, 2.5, null], n: 3 },
      { k: 9, a: { at: new Date(0), sum: NaN }, n: 1 }, // a Date: as JSON, which gives back its string
    ] as PreAggregatedWire[];
    for (const wire of wires) {
      const n = codec.encode(wire, u8, dv, 3, 250);
      expect(n).toBeGreaterThan(1);
      expect(reader.decode(u8, dv, 3, n)).toEqual(JSON.parse(JSON.stringify(wire)));
      if ('k' in wire && wire.k === 'auction-7') expect(u8[4]).toBe(1); // a shaped record after the tag
    }
    expect(codec.encode({ r: 'x'.repeat(10) }, u8, dv, 0, 5)).toBe(-11);
    expect(preAggregatedCodec(jsonCodec).name).toBe('pre-aggregated(json)');
  });
});
