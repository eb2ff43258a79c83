// Takes docs/web-ui.png: runs the sessions example (event time, windows, late records) with
// checkpoints and the endpoint on, lets the page poll for a few seconds in headless Chromium
// (Debian's, through playwright-core; no browser is downloaded) and screenshots the whole page.
//
//   node bin/run-ts.mjs test/http/ui-screenshot.ts [out.png]
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/runtime/job/run.ts';
import { chromiumPath, headlessChromiumArgs } from './browser.ts';

const out = process.argv[2] ?? new URL('../../docs/web-ui.png', import.meta.url).pathname;
const workDir = mkdtempSync(join(tmpdir(), 'weir-ui-shot-'));
const job = await run(new URL('../../examples/sessions.ts', import.meta.url), {
  params: { count: '100000000', rate: '20000' },
  workDir,
  checkpointIntervalMs: 1_000,
  http: { port: 0 },
});
const browser = await chromium.launch({ executablePath: chromiumPath, args: headlessChromiumArgs });
try {
  await job.ready;
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${job.http!.url}/`);
  // Enough polls for rates, sparklines and a few checkpoints.
  await page.waitForFunction(() => Number(document.body.dataset.seq) >= 8, undefined, { timeout: 60_000 });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await job.stop();
  rmSync(workDir, { recursive: true, force: true });
}
