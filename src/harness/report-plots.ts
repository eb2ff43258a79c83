/**
 * The report's plots. One colour per mode in every plot (modeColours); the figures of a point are
 * its medians over the trials, with whiskers from the lowest to the highest trial; points that did
 * not keep up (report-format.ts keptUpDefinition) are drawn hollow with a cross.
 */
import type * as Hdr from 'hdr-histogram-js';
import { lazyRequire } from '../util/lazy-require.ts';
import { pointOf, representativeRun } from './bench-points.ts';
import { fmtRate } from './report-format.ts';
import { lineChart, shortNumber, type Series } from './report-svg.ts';
import type { BenchMode, BenchPoint, BenchReport, PointFigure } from './report-types.ts';

const hdr = lazyRequire<typeof Hdr>('hdr-histogram-js');

export const modeColours: Record<BenchMode, string> = { continuous: '#1f77b4', 'micro-batch': '#d62728' };

/** x = −log10(1 − p): 1 = 90 %, 2 = 99 %, … — HdrHistogram's percentile axis, which gives the tail room. */
const percentileTicks: Array<[number, string]> = [
  [Math.log10(2), '50 %'],
  [1, '90 %'],
  [2, '99 %'],
  [3, '99.9 %'],
  [4, '99.99 %'],
  [5, '99.999 %'],
];

const boundLine = (report: BenchReport) => ({ y: report.config.p99BoundMs, label: `p99 bound ${report.config.p99BoundMs} ms`, kind: 'bound' });

function pointSeries(report: BenchReport, mode: BenchMode, figure: PointFigure, label: string, dashed = false): Series {
  const points = report.points.filter((p) => p.mode === mode);
  return {
    label,
    colour: modeColours[mode],
    dashed,
    points: points.map((p) => ({
      x: p.offeredRatePerSec,
      y: p.figures[figure].median,
      ...(p.trials > 1 ? { low: p.figures[figure].min, high: p.figures[figure].max } : {}),
      failed: !p.keptUp,
      note: `${mode} at ${fmtRate(p.offeredRatePerSec)} events/s: ${shortNumber(p.figures[figure].median)}${p.keptUp ? '' : ' (did not keep up)'}`,
    })),
  };
}

const rateAxis = (report: BenchReport) => {
  const rates = report.config.ratesPerSec;
  return { xLog: rates.length > 1 && Math.max(...rates) / Math.min(...rates) >= 4, xTicks: rates.map((r) => [r, shortNumber(r)] as [number, string]) };
};

export function latencyVsLoadPlot(report: BenchReport): string {
  const series = report.config.modes.flatMap((mode) => [pointSeries(report, mode, 'p99Ms', `${mode} p99`), pointSeries(report, mode, 'p50Ms', `${mode} p50`, true)]);
  return lineChart({ name: 'latency-vs-load', title: 'End-to-end latency against offered load (log scale)', xLabel: 'offered load (events/s)', yLabel: 'latency (ms)', yLog: true, ...rateAxis(report), series, hLines: [boundLine(report)] });
}

export function cpuVsLoadPlot(report: BenchReport): string {
  const series = report.config.modes.map((mode) => pointSeries(report, mode, 'cpuSPerMillionEvents', mode));
  return lineChart({ name: 'cpu-vs-load', title: 'CPU cost per event against offered load', xLabel: 'offered load (events/s)', yLabel: 'CPU s per million events', ...rateAxis(report), series });
}

/** One percentile plot per offered rate, on a shared latency scale. */
export function percentilePlots(report: BenchReport): string[] {
  const curves = new Map<BenchPoint, Array<{ x: number; y: number }>>();
  for (const point of report.points) {
    const h = hdr().decodeFromCompressedBase64(representativeRun(report, point).latency.endToEnd.histogram);
    const points: Array<{ x: number; y: number }> = [];
    // Up to the percentile the count can resolve: beyond 1 − 1/n there is only the maximum.
    const xMax = Math.min(5, Math.log10(Math.max(2, h.totalCount)));
    for (let x = 0; x <= xMax + 1e-9; x += 0.05) points.push({ x, y: h.getValueAtPercentile((1 - 10 ** -x) * 100) / 1000 });
    points.push({ x: xMax, y: h.maxValue / 1000 });
    h.destroy();
    curves.set(point, points);
  }
  const all = [...curves.values()].flat().map((p) => p.y).filter((y) => y > 0);
  const top = Math.max(...all, report.config.p99BoundMs);
  // Four decades below the highest latency are enough: the lowest percentiles of a fast run are µs apart and say little.
  const yDomain: [number, number] = [Math.max(top / 1e4, Math.min(...all, report.config.p99BoundMs)), top];
  return report.config.ratesPerSec.map((rate) => {
    const series: Series[] = report.config.modes.flatMap((mode) => {
      const point = pointOf(report, mode, rate);
      return point ? [{ label: `${mode}${point.keptUp ? '' : ' (did not keep up)'}`, colour: modeColours[mode], markers: false, points: curves.get(point)! }] : [];
    });
    return lineChart({ name: 'percentiles', attributes: { 'data-rate': String(rate) }, title: `${fmtRate(rate)} events/s`, xLabel: 'percentile', yLabel: 'latency (ms)', yLog: true, xTicks: percentileTicks, yDomain, series, hLines: [boundLine(report)], width: 520, height: 300 });
  });
}

/** One plot per offered rate: events/s the sources read each second, against the offered rate, with the warm-up shaded. */
export function throughputPlots(report: BenchReport): string[] {
  return report.config.ratesPerSec.map((rate) => {
    const series: Series[] = report.config.modes.flatMap((mode) => {
      const point = pointOf(report, mode, rate);
      if (!point) return [];
      const run = representativeRun(report, point);
      return [{ label: mode, colour: modeColours[mode], points: (run.inputOverTime ?? []).map((t) => ({ x: t.tMs / 1000, y: t.eventsPerSec })) }];
    });
    return lineChart({
      name: 'throughput',
      attributes: { 'data-rate': String(rate) },
      title: `${fmtRate(rate)} events/s offered`,
      xLabel: 'time since start (s)',
      yLabel: 'input events/s',
      series,
      hLines: [{ y: rate, label: 'offered rate', kind: 'offered' }],
      xSpan: { from: 0, to: report.config.warmupS, label: 'warm-up' },
      width: 520,
      height: 300,
    });
  });
}
