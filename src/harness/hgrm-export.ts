/**
 * Each run's end-to-end histogram as an HdrHistogram percentile-distribution file (.hgrm): the text
 * HdrHistogram's outputPercentileDistribution writes (values in milliseconds, 5 ticks per half
 * distance), which HdrHistogram's plotter and the usual tools read. One file per trial, beside
 * report.json in hgrm/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as Hdr from 'hdr-histogram-js';
import { lazyRequire } from '../util/lazy-require.ts';
import type { BenchReport, BenchRun } from './report-types.ts';

const hdr = lazyRequire<typeof Hdr>('hdr-histogram-js');

/** Microseconds in a millisecond: the histograms hold µs, the files say ms. */
const usPerMs = 1000;
const percentileTicksPerHalfDistance = 5;

export function hgrmFileName(run: BenchRun): string {
  return `hgrm/${run.mode}-${run.offeredRatePerSec}-trial${run.trial}.hgrm`;
}

export function toHgrm(encodedHistogram: string): string {
  const h = hdr().decodeFromCompressedBase64(encodedHistogram);
  try {
    return h.outputPercentileDistribution(percentileTicksPerHalfDistance, usPerMs);
  } finally {
    h.destroy();
  }
}

/** Writes the files into dir and records each one's name in its run. */
export function writeHgrmFiles(dir: string, report: BenchReport): string[] {
  mkdirSync(join(dir, 'hgrm'), { recursive: true });
  return report.runs.map((run) => {
    run.hgrmFile = hgrmFileName(run);
    writeFileSync(join(dir, run.hgrmFile), toHgrm(run.latency.endToEnd.histogram));
    return run.hgrmFile;
  });
}
