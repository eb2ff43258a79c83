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
    let bytes = 0;
    const takenBytes = () => taken.reduce<number>((sum, t) => sum + (Array.isArray(t) ? 40 + ((t[0] as { n: number }).n % 50) : 0), 0);
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < round * 7; i++, n++) {
        if (n % 13 === 0) {
          const frame: ControlFrame = { kind: FrameKind.Watermark, timestampMs: n, idle: false };
          channel.pushControl(frame);
          sent.push(frame);
        } else {
          channel.pushData({ n }, 40 + (n % 50), n % 3, n * 10, n + 0.5, n - 1, NaN);
          sent.push([{ n }, n % 3, n * 10, n + 0.5, n - 1, NaN]);
          bytes += 40 + (n % 50);
        }
      }
      takeSome(round * 5);
      expect(channel.usedBytes).toBe(bytes - takenBytes());
    }
    takeSome(Infinity);
    expect(channel.take()).toBe(false);
    expect(channel.length).toBe(0);
    expect(channel.usedBytes).toBe(0);
    expect(taken).toEqual(sent);
  });

  const expected = Array.from({ length: 10_000 }, (_, n) => `${n % 5_000 % 97}:${n}:${n},${-n}:${new Date(n).toISOString()}`).sort();

  it.each(['continuous', 'micro-batch'] as const)('a job whose map reuses one object for every record gets every record as emitted (%s)', async (mode) => {
    const result = await (await run(jobUrl('reused-records'), { parallelism: 2, mode, microBatchIntervalMs: 10 })).done;
    expect((result.results.seen as string[]).slice().sort()).toEqual(expected);
  });

  it("a codec's own copy takes the records a worker keys to itself; what it leaves (notCopied) goes through its bytes", async () => {
    const result = await (await run(jobUrl('own-codec'), { parallelism: 2 })).done;
    const seen = result.results.seen as string[];
    expect(seen.map((s) => Number(s.split(':')[0])).sort((a, b) => a - b)).toEqual(Array.from({ length: 2_000 }, (_, n) => n));
    const via = (parity: number) => seen.filter((s) => Number(s.split(':')[0]) % 2 === parity).map((s) => s.split(':')[1]);
    expect(new Set(via(1))).toEqual(new Set(['bytes'])); // left to the bytes, or sent to the other worker
    expect(via(0).filter((v) => v === 'copy').length).toBeGreaterThan(0); // kept on their worker
    expect(via(0).filter((v) => v === 'bytes').length).toBeGreaterThan(0); // sent to the other worker
  });

  it('records of 600 bytes through the smallest ring (4 KiB): a worker waits for its own channel as for a ring, and every record arrives once', async () => {
    // A channel to itself holds what its 4 KiB ring would: a few such records, then the sender
    // drains it before adding more (a source batch is 512 records).
    const result = await (await run(jobUrl('reused-records'), { parallelism: 2, ringCapacityBytes: 4096, params: { pad: '600' } })).done;
    expect((result.results.seen as string[]).slice().sort()).toEqual(expected);
    const blocked = result.metrics.channels.filter((c) => c.from === c.to).reduce((sum, c) => sum + c.blockedMs, 0);
    expect(blocked).toBeGreaterThan(0);
  });
});
