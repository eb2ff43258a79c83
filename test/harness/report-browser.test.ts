import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { runBench } from '../../src/harness/bench.ts';
import { writeReport } from '../../src/harness/report-io.ts';
import { modeColours } from '../../src/harness/report-plots.ts';

// Debian's chromium, installed by .ci/run (apt-get install chromium); never a downloaded browser. Missing is a failure, not a skip.
const executablePath = '/usr/bin/chromium';
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

interface PlotLayout {
  plot: string;
  rate: string | null;
  width: number;
  height: number;
  containerWidth: number;
  markers: number;
  failedMarkers: number;
  whiskers: number;
  refs: string[];
  spans: number;
  series: Array<{ label: string; stroke: string; points: number }>;
}

describe('the HTML report in a real browser', () => {
  it('lays out every plot at the page width, with markers, the p99 bound, the offered rate, the warm-up and one colour per mode', async () => {
    expect(existsSync(executablePath), `${executablePath} is missing: apt-get install chromium (.ci/run does)`).toBe(true);
    const rates = [4_000, 12_000];
    const report = await runBench({ job: new URL('../../examples/clicks.ts', import.meta.url), modes: ['continuous', 'micro-batch'], ratesPerSec: rates, warmupS: 0.5, durationS: 1.5, microBatchIntervalMs: 50, seed: 1, p99BoundMs: 250, params: {} });
    const dir = mkdtempSync(join(tmpdir(), 'weir-browser-'));
    const browser = await chromium.launch({ executablePath, args });
    try {
      const files = writeReport(dir, report);
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(`file://${files.html}`);
      const layout = async (): Promise<PlotLayout[]> =>
        page.evaluate(() =>
          [...document.querySelectorAll('svg.plot')].map((svg) => {
            const box = svg.getBoundingClientRect();
            const parent = svg.parentElement!;
            const style = getComputedStyle(parent);
            return {
              plot: svg.getAttribute('data-plot')!,
              rate: svg.getAttribute('data-rate'),
              width: box.width,
              height: box.height,
              // Small multiples sit in a grid: their container is a column of it.
              containerWidth: style.display === 'grid' ? parseFloat(style.gridTemplateColumns.split(' ')[0]) : parent.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight),
              markers: svg.querySelectorAll('.marker').length,
              failedMarkers: svg.querySelectorAll('.marker.failed').length,
              whiskers: svg.querySelectorAll('.whisker').length,
              refs: [...svg.querySelectorAll('[data-ref]')].map((l) => l.getAttribute('data-ref')!),
              spans: svg.querySelectorAll('rect.span').length,
              series: [...svg.querySelectorAll('polyline.series')].map((l) => ({ label: l.getAttribute('data-series')!, stroke: l.getAttribute('stroke')!, points: l.getAttribute('points')!.trim().split(' ').filter(Boolean).length })),
            };
          }),
        );
      const wide = await layout();
      // Two plots across the sweep, then one percentile plot and one throughput plot per rate.
      expect(wide.map((p) => `${p.plot}${p.rate ? `@${p.rate}` : ''}`)).toEqual(['latency-vs-load', 'cpu-vs-load', ...rates.map((r) => `percentiles@${r}`), ...rates.map((r) => `throughput@${r}`)]);
      for (const p of wide) {
        expect(p.height, p.plot).toBeGreaterThan(150);
        // A plot whose column is wider than it would be fixed-size: it fills its container.
        expect(Math.abs(p.width - p.containerWidth), p.plot).toBeLessThan(2);
        // One colour per mode, in every plot.
        for (const s of p.series) expect(s.stroke, `${p.plot} ${s.label}`).toBe(s.label.startsWith('micro-batch') ? modeColours['micro-batch'] : modeColours.continuous);
      }
      const notKeptUp = report.points.filter((p) => !p.keptUp).length;
      const [latency, cpu] = wide;
      // Latency against load: p99 and p50 per mode, a marker on each of the 4 points of each, the
      // points that did not keep up hollow; the p99 bound as a line.
      expect(latency.series.map((s) => `${s.label} ${s.points}`)).toEqual(['continuous p99 2', 'continuous p50 2', 'micro-batch p99 2', 'micro-batch p50 2']);
      expect(latency.markers).toBe(8);
      expect(latency.failedMarkers).toBe(2 * notKeptUp);
      expect(latency.refs).toEqual(['bound']);
      expect(cpu.markers).toBe(4);
      expect(cpu.failedMarkers).toBe(notKeptUp);
      for (const p of wide.filter((x) => x.plot === 'percentiles')) {
        expect(p.series.map((s) => s.label.replace(/ \(did not keep up\)$/, ''))).toEqual(['continuous', 'micro-batch']);
        expect(p.series.every((s) => s.points > 20)).toBe(true);
        expect(p.refs).toEqual(['bound']);
      }
      for (const p of wide.filter((x) => x.plot === 'throughput')) {
        expect(p.refs).toEqual(['offered']);
        expect(p.spans).toBe(1);
        expect(p.series.map((s) => s.label)).toEqual(['continuous', 'micro-batch']);
      }
      // Narrower page, narrower plots: they take the page's width, not a fixed one.
      await page.setViewportSize({ width: 700, height: 900 });
      const narrow = await layout();
      expect(narrow[0].width).toBeLessThan(wide[0].width - 200);
      expect(Math.abs(narrow[0].width - narrow[0].containerWidth)).toBeLessThan(2);

      await page.setViewportSize({ width: 1200, height: 900 });
      const shot = join(dir, 'shot.png');
      await page.screenshot({ path: shot, fullPage: true });
      // A blank page compresses to a few KB; one with plots and tables does not.
      expect(statSync(shot).size).toBeGreaterThan(50_000);
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
