// mapAsync throughput: lookups/s of one worker against a store with 1 ms latency, capacity 100,
// ordered and unordered, in both modes. Run: npm run bench:async
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/runtime/index.ts';

const count = Number(process.env.COUNT ?? 500_000);
const jobUrl = new URL('./async-job.ts', import.meta.url);

async function measure(mode: 'continuous' | 'micro-batch', ordered: boolean): Promise<number> {
  const workDir = mkdtempSync(join(tmpdir(), 'weir-async-bench-'));
  try {
    const handle = await run(jobUrl, { mode, workDir, parallelism: 1, params: { count: String(count), capacity: '100', latencyMs: '1', ordered: String(ordered) } });
    const result = await handle.done;
    const out = (result.results.results as number[]).reduce((a, b) => a + b, 0);
    if (out !== count) throw new Error(`expected ${count} results, got ${out}`);
    return count / (result.runMs / 1000);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * The ceiling the store's latency allows on this machine, without weir: 100 lanes, each awaiting a
 * 1 ms timer after the other (Node's timers are millisecond-grained, so "1 ms" is 1–2 ms).
 */
async function plainNodeCeiling(): Promise<number> {
  let done = 0;
  const endMs = performance.now() + 2000;
  const lane = async () => {
    while (performance.now() < endMs) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      done++;
    }
  };
  await Promise.all(Array.from({ length: 100 }, lane));
  return done / 2;
}

console.log(`mapAsync, 1 worker, store latency 1 ms, capacity 100, ${count} lookups`);
console.log(`  ceiling: 100 lanes of 1 ms timers in plain Node  ${Math.round(await plainNodeCeiling()).toLocaleString('en-US')} lookups/s`);
for (const mode of ['continuous', 'micro-batch'] as const) {
  for (const ordered of [true, false]) {
    const perSec = await measure(mode, ordered);
    console.log(`  ${mode.padEnd(11)} ${ordered ? 'ordered  ' : 'unordered'}  ${Math.round(perSec).toLocaleString('en-US')} lookups/s`);
  }
}
