// examples/dashboard: the job's figures against brute force over the same generated events, and the
// live page, served by the embedding service, opened in headless Chromium: it shows the figures
// changing while the job runs, and at the end exactly the job's output.
import { afterEach, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { startDashboard, type Dashboard } from '../../examples/dashboard/server.ts';
import { topProducts } from '../../examples/dashboard/job.ts';
import { bruteForce, shopEvents } from './dashboard-brute-force.ts';
import { tempDirsPerTest, waitLimitMs } from '../helpers.ts';

const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('examples/dashboard', () => {
  const dir = tempDirsPerTest();
  let browser: Browser | undefined;
  let dashboard: Dashboard | undefined;
  afterEach(async () => {
    await browser?.close();
    await dashboard?.close();
    browser = dashboard = undefined;
  });

  it('the live page shows the figures changing as the job runs, and at the end the job output, which equals brute force', async () => {
    const [count, seed] = [90_000, 7];
    dashboard = await startDashboard({ port: 0, params: { count: String(count), rate: '5000', seed: String(seed) }, run: { workDir: dir(), parallelism: 2 } });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
    const page = await browser.newPage();
    await page.goto(dashboard.url);

    // While the job runs: the revenue shown takes several values, each a running total the job
    // emitted (the page never shows a number of its own).
    const shown = new Set<string>();
    await expect
      .poll(
        async () => {
          const [status, revenue] = [await page.textContent('#status'), await page.textContent('#revenue')];
          if (status === 'live' && revenue !== null && revenue !== '–') shown.add(revenue);
          return shown.size;
        },
        { timeout: waitLimitMs, interval: 100 },
      )
      .toBeGreaterThanOrEqual(3);

    const result = await dashboard.done;
    await expect.poll(() => page.textContent('#status'), { timeout: waitLimitMs }).toBe('ended');
    expect(result.metrics.sources.reduce((a, s) => a + s.records, 0)).toBe(count);

    // The page shows the job's output: the latest value of each key it emitted.
    const figures = dashboard.figures as Map<string, any>;
    const days = [...figures.keys()].filter((k) => k.startsWith('revenue/'));
    expect(days).toHaveLength(1);
    const revenue = figures.get(days[0]);
    expect(await page.textContent('#revenue')).toBe(String(revenue.revenue));
    expect(await page.textContent('#purchases')).toBe(String(revenue.purchases));
    const windows = [...figures.keys()].filter((k) => k.startsWith('active-users/')).map((k) => figures.get(k)).sort((a, b) => b.start - a.start);
    expect(await page.textContent('#active-users')).toBe(String(windows[0].users));
    const top = figures.get('top-products');
    expect(await page.locator('#top-products .product').allTextContents()).toEqual(top.ranking.map((r: { key: string }) => r.key));
    expect(await page.locator('#top-products .count').allTextContents()).toEqual(top.ranking.map((r: { value: number }) => String(r.value)));
    for (const r of shown) expect(Number(r)).toBeLessThanOrEqual(revenue.revenue);

    // And the job's output is right.
    const want = bruteForce(shopEvents(count, seed));
    expect(revenue).toEqual([...want.revenue.values()][0]);
    expect(Object.fromEntries(windows.map((w) => [w.start, w.users]))).toEqual(Object.fromEntries([...want.users].map(([start, set]) => [start, set.size])));
    expect(top.ranking).toEqual(want.ranking(top.start, top.end));
    expect(top.end - top.start).toBe(topProducts.sizeMs);
  });
});
