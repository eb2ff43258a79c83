// examples/dashboard: the job's figures against brute force over the same generated events, and the
// live page, served by the embedding service, opened in headless Chromium: it shows the figures
// changing while the job runs, and at the end exactly the job's output.
import { afterEach, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { generatedEvent, generatorPartitionCount } from '../../src/connectors/generator.ts';
import { startDashboard, type Dashboard } from '../../examples/dashboard/server.ts';
import { activeUsersWindowMs, topProducts } from '../../examples/dashboard/job.ts';
import { dayMs, shopEvent, shopGeneratorOptions, type ShopEvent } from '../../examples/dashboard/events.ts';
import { tempDirsPerTest, waitLimitMs } from '../helpers.ts';

const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function shopEvents(count: number, seed: number): ShopEvent[] {
  const opts = shopGeneratorOptions({ count, ratePerSec: 0, seed });
  const all: ShopEvent[] = [];
  for (let p = 0; p < 2; p++) for (let i = 0; i < generatorPartitionCount(opts, p); i++) all.push(shopEvent(generatedEvent(opts, p, i)));
  return all;
}

/** The figures by definition: distinct users per tumbling window, the day's revenue, a window's product ranking. */
function bruteForce(events: ShopEvent[]) {
  const users = new Map<number, Set<number>>();
  const revenue = new Map<number, { day: number; revenue: number; purchases: number }>();
  for (const e of events) {
    const start = Math.floor(e.ts / activeUsersWindowMs) * activeUsersWindowMs;
    if (!users.has(start)) users.set(start, new Set());
    users.get(start)!.add(e.user);
    if (e.kind === 'purchase') {
      const day = Math.floor(e.ts / dayMs);
      const r = revenue.get(day) ?? { day, revenue: 0, purchases: 0 };
      revenue.set(day, { day, revenue: r.revenue + e.price, purchases: r.purchases + 1 });
    }
  }
  const ranking = (start: number, end: number) => {
    const counts = new Map<string, number>();
    for (const e of events) if (e.ts >= start && e.ts < end) counts.set(e.product, (counts.get(e.product) ?? 0) + 1);
    return [...counts]
      .sort(([ka, a], [kb, b]) => b - a || (JSON.stringify(ka) < JSON.stringify(kb) ? -1 : 1))
      .slice(0, topProducts.k)
      .map(([key, value], i) => ({ key, value, rank: i + 1 }));
  };
  return { users, revenue, ranking };
}

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
    const [count, seed] = [60_000, 7];
    dashboard = await startDashboard({ port: 0, params: { count: String(count), rate: '6000', seed: String(seed) }, run: { workDir: dir(), parallelism: 2 } });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
    const page = await browser.newPage();
    await page.goto(dashboard.url);

    // While the job runs: the revenue shown takes several values, each a running total the job
    // emitted (the page never shows a number of its own).
    const shown = new Set<string>();
    await expect
      .poll(
        async () => {
          const revenue = await page.textContent('#revenue');
          if (revenue !== null && revenue !== '–') shown.add(revenue);
          return shown.size;
        },
        { timeout: waitLimitMs, interval: 100 },
      )
      .toBeGreaterThanOrEqual(3);
    expect(await page.textContent('#status')).toBe('live');

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
