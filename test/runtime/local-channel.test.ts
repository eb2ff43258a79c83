// A worker's records to itself go through its local channel, not a ring: in order with the
// control frames, copied when sent (a record changed after it was emitted arrives as it was), and
// with what the bytes would have given (a Date arrives as its JSON string, as from another worker).
import { describe, expect, it } from 'vitest';
import { FrameKind } from '../../src/channel/layout.ts';
import type { ControlFrame } from '../../src/channel/frames.ts';
import { run } from '../../src/runtime/index.ts';
import { LocalChannel } from '../../src/runtime/worker/local-channel.ts';
import { jobUrl } from '../helpers.ts';

describe('local channel', () => {
  it('gives back records and control frames in the order sent, across growth and wrap-around', () => {
    const channel = new LocalChannel();
    const sent: unknown[] = [];
    const taken: unknown[] = [];
    const takeSome = (n: number) => {
      for (let i = 0; i < n && channel.take(); i++) {
        taken.push(channel.isData ? [channel.value, channel.partition, channel.offset, channel.timestampMs, channel.createdMs, channel.sentMs] : channel.value);
      }
    };
    let n = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < round * 7; i++, n++) {
        if (n % 13 === 0) {
          const frame: ControlFrame = { kind: FrameKind.Watermark, timestampMs: n, idle: false };
          channel.pushControl(frame);
          sent.push(frame);
        } else {
          channel.pushData({ n }, n % 3, n * 10, n + 0.5, n - 1, NaN);
          sent.push([{ n }, n % 3, n * 10, n + 0.5, n - 1, NaN]);
        }
      }
      takeSome(round * 5);
    }
    takeSome(Infinity);
    expect(channel.take()).toBe(false);
    expect(channel.length).toBe(0);
    expect(taken).toEqual(sent);
  });

  it.each(['continuous', 'micro-batch'] as const)('a job whose map reuses one object for every record gets every record as emitted (%s)', async (mode) => {
    const result = await (await run(jobUrl('reused-records'), { parallelism: 2, mode, microBatchIntervalMs: 10 })).done;
    const seen = (result.results.seen as string[]).slice().sort();
    const expected = Array.from({ length: 10_000 }, (_, n) => `${n % 5_000 % 97}:${n}:${n},${-n}:${new Date(n).toISOString()}`).sort();
    expect(seen).toEqual(expected);
  });
});
