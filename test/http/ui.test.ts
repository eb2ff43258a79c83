import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobMetrics } from '../../src/runtime/metrics.ts';
import { run } from '../../src/runtime/job/run.ts';
import { jobUrl, tempDirsPerTest } from '../helpers.ts';
import { chromiumPath, headlessChromiumArgs } from './browser.ts';

/** What the page shows, read from its elements as a user sees them (numbers without their thousands separators). */
interface PageReading {
  state: string;
  jobName: string;
  operators: Record<string, { recordsIn: number; recordsOut: number; deadLetters: number; watermarkMs: number | undefined }>;
  graphOperators: string[];
  deadLetters: number;
  latencyCount: number;
  p99: string;
  checkpointsCompleted: number;
  newestCheckpoint: number | undefined;
  sources: number;
}

async function readPage(page: Page): Promise<PageReading> {
  return page.evaluate(() => {
    const num = (text: string | null | undefined) => Number((text ?? '').replace(/,/g, ''));
    const operators: PageReading['operators'] = {};
    for (const row of document.querySelectorAll<HTMLTableRowElement>('#operators tbody tr')) {
      const wm = row.querySelector('.watermark')!.getAttribute('data-ms');
      operators[row.dataset.operator!] = {
        recordsIn: num(row.querySelector('.records-in')!.textContent),
        recordsOut: num(row.querySelector('.records-out')!.textContent),
        deadLetters: num(row.querySelector('.dead-letters')!.textContent),
        watermarkMs: wm ? Number(wm) : undefined,
      };
    }
    const checkpointRow = document.querySelector<HTMLElement>('#checkpoints tbody tr');
    return {
      state: document.getElementById('job-state')!.dataset.state!,
      jobName: document.getElementById('job-name')!.textContent!,
      operators,
      graphOperators: [...document.querySelectorAll('#graph g[data-operator]')].map((g) => g.getAttribute('data-operator')!),
      deadLetters: num(document.getElementById('kpi-dead-letters')!.textContent),
      latencyCount: num(document.querySelector('[data-latency-count]')!.textContent),
      p99: document.querySelector('[data-percentile="p99"]')!.textContent!,
      checkpointsCompleted: num(document.querySelector('[data-checkpoints-completed]')?.textContent),
      newestCheckpoint: checkpointRow ? Number(checkpointRow.dataset.checkpoint) : undefined,
      sources: document.querySelectorAll('#sources tbody tr').length,
    };
  });
}

const seqOf = (page: Page) => page.evaluate(() => Number(document.body.dataset.seq ?? 0));

/**
 * A reading of the page taken between two metrics() readings: the page has polled twice after the
 * first (so its data was read after it) and before the second.
 */
async function bracketedReading(page: Page, metrics: () => JobMetrics): Promise<{ before: JobMetrics; shown: PageReading; after: JobMetrics }> {
  const before = metrics();
  const seq = await seqOf(page);
  await page.waitForFunction((s) => Number(document.body.dataset.seq) >= s + 2, seq);
  const shown = await readPage(page);
  return { before, shown, after: metrics() };
}

function expectBetween(value: number, low: number, high: number): void {
  expect(value).toBeGreaterThanOrEqual(low);
  expect(value).toBeLessThanOrEqual(high);
}

describe('the live web UI', () => {
  const dir = tempDirsPerTest('weir-ui-');
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: chromiumPath, args: headlessChromiumArgs });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows the numbers of metrics() in a real browser and updates them as the job runs', async () => {
    const job = await run(jobUrl('observed'), { params: { rate: '3000' }, workDir: dir(), checkpointIntervalMs: 200, http: { port: 0 } });
    try {
      await job.ready;
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      const res = await page.goto(`${job.http!.url}/?refreshMs=200`);
      expect(res!.headers()['content-type']).toMatch(/^text\/html/);
      // Until a checkpoint completed and the sinks saw records (the page then has every number to show).
      while ((job.metrics().checkpoints?.completed ?? 0) < 2 || job.metrics().latency.count === 0 || job.metrics().deadLetters === 0) await new Promise((r) => setTimeout(r, 50));

      const first = await bracketedReading(page, job.metrics);
      const { before, shown, after } = first;
      expect(shown.jobName).toBe('observed');
      expect(shown.state).toBe('running');
      expect(shown.graphOperators).toEqual(before.operators.map((op) => op.name));
      expect(Object.keys(shown.operators)).toEqual(before.operators.map((op) => op.name));
      for (const [i, op] of before.operators.entries()) {
        const row = shown.operators[op.name];
        expectBetween(row.recordsIn, op.recordsIn, after.operators[i].recordsIn);
        expectBetween(row.recordsOut, op.recordsOut, after.operators[i].recordsOut);
        expectBetween(row.deadLetters, op.deadLetters, after.operators[i].deadLetters);
        if (op.watermarkMs !== undefined) expectBetween(row.watermarkMs!, op.watermarkMs, after.operators[i].watermarkMs!);
      }
      expect(shown.operators.parse.deadLetters).toBeGreaterThan(0);
      expectBetween(shown.deadLetters, before.deadLetters, after.deadLetters);
      expectBetween(shown.latencyCount, before.latency.count, after.latency.count);
      expect(shown.p99).toMatch(/^[\d.,]+ (ms|s)$/);
      expectBetween(shown.checkpointsCompleted, before.checkpoints!.completed, after.checkpoints!.completed);
      expectBetween(shown.newestCheckpoint!, before.checkpoints!.lastCompletedId, after.checkpoints!.lastCompletedId);
      expect(shown.sources).toBe(before.sources.length);

      // Later readings show more: the page keeps up with the job.
      const moved = (m = job.metrics()) => m.operators[0].recordsOut >= after.operators[0].recordsOut + 1_000 && m.checkpoints!.lastCompletedId > shown.newestCheckpoint! && m.latency.count > shown.latencyCount;
      while (!moved()) await new Promise((r) => setTimeout(r, 50));
      const later = await bracketedReading(page, job.metrics);
      const source = before.operators[0].name;
      expect(later.shown.operators[source].recordsOut).toBeGreaterThan(shown.operators[source].recordsOut);
      expectBetween(later.shown.operators[source].recordsOut, later.before.operators[0].recordsOut, later.after.operators[0].recordsOut);
      expect(later.shown.latencyCount).toBeGreaterThan(shown.latencyCount);
      expect(later.shown.newestCheckpoint!).toBeGreaterThan(shown.newestCheckpoint!);
      expect(errors).toEqual([]);

      // Stopping: the page says so, and that the endpoint went away once the job ended.
      await job.stop();
      // (The state it shows is the last one it read, which may still be 'running': the job can end
      // between two polls.)
      await page.waitForFunction(() => document.getElementById('updated')!.textContent!.startsWith('not updating'));
    } finally {
      await job.stop();
    }
  });
});
