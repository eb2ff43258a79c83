import { describe, expect, it } from 'vitest';
import { WatermarkCombiner } from '../../src/runtime/worker/watermarks.ts';
import { badTimestampReason, WatermarkStrategy } from '../../src/time/watermarks.ts';

function combiner(inputs: number) {
  const emitted: Array<[number, boolean]> = [];
  const c = new WatermarkCombiner(inputs, (wm, idle) => emitted.push([wm, idle]));
  return { c, emitted };
}

describe('WatermarkCombiner', () => {
  it('emits the minimum over its inputs, only when it rises', () => {
    const { c, emitted } = combiner(2);
    c.update(0, 10, false);
    expect(emitted).toEqual([]); // input 1 is still at −∞
    c.update(1, 5, false);
    c.update(1, 7, false);
    c.update(0, 12, false);
    c.update(1, 30, false);
    expect(emitted).toEqual([
      [5, false],
      [7, false],
      [12, false],
    ]);
  });

  it('excludes idle inputs; idle when all are; an input coming back behind cannot pull it down', () => {
    const { c, emitted } = combiner(2);
    c.update(0, 100, false);
    c.update(1, 0, true); // input 1 idle: input 0 alone decides
    expect(emitted).toEqual([[100, false]]);
    c.update(0, 100, true);
    expect(emitted.at(-1)).toEqual([100, true]);
    c.update(1, 50, false); // back, behind: the output stays at 100 and is active again
    expect(emitted.at(-1)).toEqual([100, false]);
    c.update(1, 150, false);
    c.update(0, 200, false);
    expect(emitted.at(-1)).toEqual([150, false]);
    expect(c.currentMs).toBe(150);
  });

  it('never lowers an input: a smaller watermark from the same input is ignored', () => {
    const { c, emitted } = combiner(1);
    c.update(0, 10, false);
    c.update(0, 3, false);
    expect(emitted).toEqual([[10, false]]);
  });

  it('an ended input is +∞: the others decide, and all ended is +∞', () => {
    const { c, emitted } = combiner(2);
    c.update(0, Number.POSITIVE_INFINITY, false);
    c.update(1, 42, false);
    c.update(1, Number.POSITIVE_INFINITY, false);
    expect(emitted).toEqual([
      [42, false],
      [Number.POSITIVE_INFINITY, false],
    ]);
  });
});

describe('watermark strategies', () => {
  it('bounded out-of-orderness: the largest timestamp seen − bound − 1', () => {
    const g = WatermarkStrategy.boundedOutOfOrderness<number>(100).options.generator();
    expect(g.currentWatermark()).toBe(Number.NEGATIVE_INFINITY);
    g.onEvent(0, 1_000);
    g.onEvent(0, 900);
    expect(g.currentWatermark()).toBe(899);
    g.onEvent(0, 1_500);
    expect(g.currentWatermark()).toBe(1_399);
  });

  it('validates its options', () => {
    expect(() => WatermarkStrategy.boundedOutOfOrderness(-1)).toThrow(expect.objectContaining({ code: 'WEIR_CONFIG' }));
    expect(() => WatermarkStrategy.monotonousTimestamps().withIdleness(0)).toThrow(expect.objectContaining({ code: 'WEIR_CONFIG' }));
    expect(WatermarkStrategy.monotonousTimestamps().withIdleness(250).options.idlenessMs).toBe(250);
  });

  it('names what is wrong with a bad timestamp', () => {
    const now = 1_700_000_000_000;
    expect(badTimestampReason(now, now, 1000)).toBeUndefined();
    expect(badTimestampReason(0, now, 1000)).toBeUndefined();
    expect(badTimestampReason(undefined, now, 1000)).toBe('missing timestamp');
    expect(badTimestampReason(null, now, 1000)).toBe('missing timestamp');
    expect(badTimestampReason(Number.NaN, now, 1000)).toBe('timestamp is NaN');
    expect(badTimestampReason(Number.POSITIVE_INFINITY, now, 1000)).toBe('timestamp is Infinity');
    expect(badTimestampReason(-1, now, 1000)).toBe('negative timestamp -1');
    expect(badTimestampReason(now + 1001, now, 1000)).toMatch(/more than 1000 ms in the future/);
    expect(badTimestampReason('12', now, 1000)).toBe('timestamp is not a number (string)');
  });
});
