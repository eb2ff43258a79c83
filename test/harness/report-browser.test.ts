import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBench } from '../../src/harness/bench.ts';
import { reportToHtml } from '../../src/harness/report-html.ts';

// Debian's chromium, installed by .ci/run (apt-get install chromium). Missing is a failure, not a skip.
const chromium = '/usr/bin/chromium';
const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('the HTML report in a real browser', () => {
  it('renders with its three plots', async () => {
    expect(existsSync(chromium), `${chromium} is missing: apt-get install chromium (.ci/run does)`).toBe(true);
    const report = await runBench({ job: new URL('../../examples/clicks.ts', import.meta.url), modes: ['continuous', 'micro-batch'], ratesPerSec: [5_000, 10_000], warmupS: 0.2, durationS: 0.8, microBatchIntervalMs: 50, seed: 1, p99BoundMs: 250, params: {} });
    const dir = mkdtempSync(join(tmpdir(), 'weir-browser-'));
    try {
      // The page itself has no script; the test appends one that records what the browser laid out.
      const probe = `<script>document.body.setAttribute('data-rendered', JSON.stringify([...document.querySelectorAll('svg.plot')].map((s) => { const r = s.getBoundingClientRect(); return { plot: s.dataset.plot, width: r.width, height: r.height, lines: s.querySelectorAll('polyline').length }; })));</script>`;
      const page = join(dir, 'report.html');
      writeFileSync(page, reportToHtml(report).replace('</body>', `${probe}</body>`));
      const run = (extra: string[]) => execFileSync(chromium, [...flags, `--user-data-dir=${join(dir, 'profile')}`, ...extra, `file://${page}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 });

      const dom = run(['--dump-dom']);
      const rendered = JSON.parse(decodeEntities(/data-rendered="([^"]*)"/.exec(dom)![1])) as Array<{ plot: string; width: number; height: number; lines: number }>;
      expect(rendered.map((r) => r.plot)).toEqual(['percentiles', 'latency-vs-load', 'throughput']);
      for (const r of rendered) {
        expect(r.width, r.plot).toBeGreaterThan(300);
        expect(r.height, r.plot).toBeGreaterThan(150);
        expect(r.lines, r.plot).toBeGreaterThanOrEqual(2);
      }

      const shot = join(dir, 'shot.png');
      run([`--screenshot=${shot}`, '--window-size=1100,1400']);
      // A blank page of that size compresses to a few KB; a page with plots and tables does not.
      expect(statSync(shot).size).toBeGreaterThan(30_000);
      expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function decodeEntities(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
