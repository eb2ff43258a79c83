import { describe, expect, it } from 'vitest';
import { run, type JobHandle } from '../../src/runtime/index.ts';
import { alignmentDecision, type PartitionState } from '../../src/runtime/worker/watermark-alignment.ts';
import { limits } from '../../src/limits.ts';
import { WatermarkStrategy } from '../../src/time/watermarks.ts';
import { WeirError } from '../../src/errors.ts';
import { jobUrl, waitLimitMs } from '../helpers.ts';
import { partitionEvents, stepMs, windowMs } from '../jobs/skewed-partitions.ts';

const active = (watermarkMs: number): PartitionState => ({ watermarkMs, idle: false, ended: false });

describe('the alignment decision', () => {
  it('pauses exactly the partitions more than the drift ahead of the slowest; the slowest always reads', () => {
    const d = alignmentDecision([active(1_000), active(5_000), active(31_000), active(31_001)], 30_000);
    expect(d.mayRead).toEqual([true, true, true, false]);
    expect(d.minMs).toBe(1_000);
    expect(d.driftMs).toBe(30_001);
  });

  it('idle and ended partitions do not hold the others back; an ended one is never paused', () => {
    const d = alignmentDecision([{ watermarkMs: 0, idle: true, ended: false }, active(50_000), { watermarkMs: 10, idle: false, ended: true }, active(90_000)], 30_000);
    expect(d.minMs).toBe(50_000);
    expect(d.mayRead).toEqual([true, true, true, false]);
    expect(d.driftMs).toBe(40_000);
  });

  it('an idle partition far ahead pauses too (its records would only add to the skew)', () => {
    expect(alignmentDecision([active(0), { watermarkMs: 100_000, idle: true, ended: false }], 30_000).mayRead).toEqual([true, false]);
  });

  it('a partition without a watermark yet holds the others until it has one or is idle; it is not counted in the drift', () => {
    const d = alignmentDecision([active(Number.NEGATIVE_INFINITY), active(10), active(20)], 30_000);
    expect(d.mayRead).toEqual([true, false, false]);
    expect(d.driftMs).toBe(10);
    expect(alignmentDecision([{ watermarkMs: Number.NEGATIVE_INFINITY, idle: true, ended: false }, active(10)], 30_000).mayRead).toEqual([true, true]);
  });

  it('nobody is paused when no partition counts, or with an unbounded drift', () => {
    expect(alignmentDecision([{ watermarkMs: 5, idle: true, ended: false }, { watermarkMs: 9e9, idle: false, ended: true }], 1).mayRead).toEqual([true, true]);
    expect(alignmentDecision([active(0), active(1e12)], Number.POSITIVE_INFINITY).mayRead).toEqual([true, true]);
  });
});

function errorCodeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof WeirError ? e.code : String(e);
  }
  return 'no error';
}

describe('withWatermarkAlignment', () => {
  it('checks its arguments; an unbounded drift turns alignment off as withoutWatermarkAlignment() does', () => {
    const strategy = WatermarkStrategy.monotonousTimestamps();
    expect(errorCodeOf(() => strategy.withWatermarkAlignment('', 1_000))).toBe('WEIR_CONFIG');
    expect(errorCodeOf(() => strategy.withWatermarkAlignment('g', 0))).toBe('WEIR_CONFIG');
    expect(errorCodeOf(() => strategy.withWatermarkAlignment('g', 1_000, 0))).toBe('WEIR_CONFIG');
    expect(strategy.options.alignment).toBeUndefined(); // the default
    expect(strategy.withWatermarkAlignment('g', 5_000).options.alignment).toEqual({ group: 'g', maxDriftMs: 5_000, updateIntervalMs: limits.watermarkAlignmentUpdateIntervalMs });
    expect(strategy.withWatermarkAlignment('g', Number.POSITIVE_INFINITY).options.alignment).toBeNull();
    expect(strategy.withoutWatermarkAlignment().options.alignment).toBeNull();
  });
});

/** Brute force: records per (key, 1 s window) over both partitions. */
function expectedCounts(count: number): Map<string, number> {
  const want = new Map<string, number>();
  for (const events of partitionEvents(count)) {
    for (const e of events) {
      const id = `${e.key}/${Math.floor(e.ts / windowMs) * windowMs}`;
      want.set(id, (want.get(id) ?? 0) + 1);
    }
  }
  return want;
}

/** Samples the alignment metric every millisecond while the job runs: the largest drift and whether partition 1 was seen paused. */
function sampleAlignment(handle: JobHandle): () => { driftMsMax: number; sawPaused: boolean } {
  let driftMsMax = 0;
  let sawPaused = false;
  const timer = setInterval(() => {
    const group = handle.metrics().watermarkAlignment[0];
    driftMsMax = Math.max(driftMsMax, group.driftMs);
    if (group.pausedPartitions.some((p) => p.partition === 1)) sawPaused = true;
  }, 1);
  return () => {
    clearInterval(timer);
    return { driftMsMax, sawPaused };
  };
}

describe('watermark alignment on real worker threads', () => {
  const count = 50_000;
  const maxDriftMs = 2_000;
  // Partition 1 may read one poll batch past the bound before it is paused.
  const boundMs = maxDriftMs + limits.sourceBatchRecordsMax * stepMs[1];

  for (const mode of ['continuous', 'micro-batch'] as const) {
    it(`${mode}: a partition far ahead in event time pauses until the slower one catches up; the drift stays within the bound and the windows are exact`, async () => {
      const handle = await run(jobUrl('skewed-partitions'), { mode, parallelism: 2, stateBackend: 'heap', params: { count: String(count), maxDriftMs: String(maxDriftMs) } });
      const stopSampling = sampleAlignment(handle);
      const result = await handle.done;
      const { driftMsMax, sawPaused } = stopSampling();
      expect(result.metrics.watermarkAlignment).toEqual([{ group: 'skewed', maxDriftMs, driftMs: expect.any(Number), pausedPartitions: [] }]);
      expect(sawPaused).toBe(true);
      expect(driftMsMax).toBeLessThanOrEqual(boundMs);
      const got = new Map((result.results.counts as Array<{ key: string; start: number; count: number }>).map((c) => [`${c.key}/${c.start}`, c.count]));
      expect(got).toEqual(expectedCounts(count));
    });
  }

  it('is on by default for a source with watermarks: its own partitions, the default drift', async () => {
    const result = await (await run(jobUrl('bad-timestamps'), { parallelism: 1 })).done;
    expect(result.metrics.watermarkAlignment).toEqual([{ group: 'events', maxDriftMs: limits.watermarkAlignmentDriftMsDefault, driftMs: 0, pausedPartitions: [] }]);
  });

  it('turned off, the same partitions drift further apart than the bound (and the windows are as exact)', async () => {
    const handle = await run(jobUrl('skewed-partitions'), { parallelism: 2, stateBackend: 'heap', params: { count: String(count), maxDriftMs: '0' } });
    const stopSampling = sampleAlignment(handle);
    const result = await handle.done;
    const { driftMsMax, sawPaused } = stopSampling();
    expect(result.metrics.watermarkAlignment[0].maxDriftMs).toBe(Number.POSITIVE_INFINITY);
    expect(sawPaused).toBe(false);
    expect(driftMsMax).toBeGreaterThan(boundMs);
    const got = new Map((result.results.counts as Array<{ key: string; start: number; count: number }>).map((c) => [`${c.key}/${c.start}`, c.count]));
    expect(got).toEqual(expectedCounts(count));
  });

  it('a partition that goes idle does not hold the others back: the faster one reads all its records', async () => {
    // Partition 1 has 100 records (event time ≤ 1 980 ms) and then nothing: partition 0 would be
    // paused at ~4 s of its 50 s of event time for good if the idle partition still counted.
    const handle = await run(jobUrl('skewed-partitions'), { parallelism: 2, stateBackend: 'heap', params: { count: String(count), maxDriftMs: String(maxDriftMs), silentAfter: '100' } });
    const read = () => handle.metrics().operators.find((o) => o.name === 'events')!.recordsOut;
    for (let waitedMs = 0; read() < count + 100 && waitedMs < waitLimitMs; waitedMs += 20) await new Promise((r) => setTimeout(r, 20));
    expect(read()).toBe(count + 100);
    await handle.stop();
    const result = await handle.done;
    const total = (result.results.counts as Array<{ count: number }>).reduce((a, c) => a + c.count, 0);
    expect(total).toBe(count + 100);
  });
});
