import { describe, expect, it } from 'vitest';
import { channelBench } from '../../native-bench/channel.ts';

describe('native-bench/channel.ts (small run, so the benchmark never rots)', () => {
  it('reports finite, positive rates', async () => {
    const r = await channelBench({ frames: 200_000, postMessageFrames: 50_000, postMessageBatchedFrames: 200_000 });
    for (const v of [r.ringFramesPerSec, r.postMessageFramesPerSec, r.postMessageBatchedFramesPerSec, r.ratio]) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThan(0);
    }
  });
});
