import { describe, expect, it } from 'vitest';
import { runBench } from '../../src/harness/bench.ts';
import { machineLoad } from '../../src/harness/machine-load.ts';
import { rankSumTest } from '../../src/harness/rank-sum.ts';
import { reportToMarkdown } from '../../src/harness/report-markdown.ts';

const clicks = new URL('../../examples/clicks.ts', import.meta.url);

describe('repeated trials', () => {
  it('--repeat runs each point N times with the modes interleaved, and gives the median and spread of each figure', async () => {
    const report = await runBench({ job: clicks, repeat: 2, modes: ['continuous', 'micro-batch'], ratesPerSec: [3_000], warmupS: 0.2, durationS: 0.5, microBatchIntervalMs: 50, seed: 2, p99BoundMs: 250, params: {} });
    expect(report.config.repeat).toBe(2);
    expect(report.runs.map((r) => `${r.trial} ${r.mode}`)).toEqual(['1 continuous', '1 micro-batch', '2 continuous', '2 micro-batch']);
    for (const point of report.points) {
      const trials = report.runs.filter((r) => r.mode === point.mode);
      expect(point.trials).toBe(2);
      const p99s = trials.map((t) => t.latency.endToEnd.p99Ms);
      expect(point.figures.p99Ms).toEqual({ median: (p99s[0] + p99s[1]) / 2, min: Math.min(...p99s), max: Math.max(...p99s) });
      const cpu = trials.map((t) => t.cpu.perMillionEventsS);
      expect(point.figures.cpuSPerMillionEvents.median).toBeCloseTo((cpu[0] + cpu[1]) / 2, 9);
      expect(point.trialsKeptUp).toBe(trials.filter((t) => t.keptUp).length);
      expect(point.keptUp).toBe(trials.every((t) => t.keptUp));
      // The representative trial is the one with the lower-middle p99.
      expect(trials.find((t) => t.trial === point.representativeTrial)!.latency.endToEnd.p99Ms).toBe(Math.min(...p99s));
    }
    // Same seed: every trial of every mode produced the same output.
    expect(new Set(report.runs.map((r) => r.outputChecksum)).size).toBe(1);
    const md = reportToMarkdown(report);
    expect(md).toContain('medians of 2 trials');
    expect(md).toContain('## Spread across trials');
    expect(md).toMatch(/load average before [\d.]+ \/ [\d.]+ \/ [\d.]+/);
  });
});

describe('the rank-sum test on trials', () => {
  it('gives the exact two-sided p-values of small samples and knows when it cannot reject', () => {
    // 3 against 3, completely separated: 2 of the C(6,3) = 20 splits are as extreme.
    expect(rankSumTest([1, 2, 3], [4, 5, 6])).toEqual({ u: 0, pValue: 0.1, canReject: false });
    // 4 against 4: 2/70.
    const four = rankSumTest([10, 11, 12, 13], [20, 21, 22, 23]);
    expect(four.pValue).toBeCloseTo(2 / 70, 12);
    expect(four.canReject).toBe(true);
    // Interleaved samples are not different.
    expect(rankSumTest([1, 3, 5, 7], [2, 4, 6, 8]).pValue).toBeGreaterThan(0.5);
    // Ties count half: identical samples have U at its mean and p = 1.
    expect(rankSumTest([5, 5, 5, 5], [5, 5, 5, 5]).pValue).toBe(1);
  });
});

describe('how busy the machine was', () => {
  const quiet = { loadAverageBefore: [0.2, 0.3, 0.3], loadAveragesDuring: [1, 1.5], otherProcessesCpuS: 0.4, measuredS: 8, cores: 4, governors: ['performance'] };

  it('a quiet machine gets no warning; the figures are kept', () => {
    const load = machineLoad(quiet);
    expect(load.warnings).toEqual([]);
    expect(load.loadAverageDuring).toEqual({ mean: 1.25, max: 1.5 });
    expect(load.otherProcessesCores).toBeCloseTo(0.05, 12);
  });

  it('warns on a high load average before the run, on other processes using CPU, and on a governor that changes the clock', () => {
    const load = machineLoad({ ...quiet, loadAverageBefore: [3.1, 2, 1], otherProcessesCpuS: 4, governors: ['powersave'] });
    expect(load.warnings).toHaveLength(3);
    expect(load.warnings[0]).toContain('load average was 3.10 before the run, on 4 cores');
    expect(load.warnings[1]).toContain('other processes used 0.50 cores on average');
    expect(load.warnings[2]).toContain('governor is powersave');
  });

  it('says nothing of what it could not read', () => {
    const load = machineLoad({ ...quiet, otherProcessesCpuS: null, governors: null });
    expect(load.otherProcessesCores).toBeNull();
    expect(load.warnings).toEqual([]);
  });
});
