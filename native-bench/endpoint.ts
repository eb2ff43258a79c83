// The HTTP endpoint's cost on the main job (examples/clicks.ts): throughput and p99 latency with
// the endpoint off, and on with /metrics scraped every second (as Prometheus would), and on with
// /metrics scraped and the web UI's /api/job polled every second. Runs alternate between the
// configurations (off, on, on+UI, off, …) so that the machine's drift spreads over all of them;
// medians are reported.
//
//   node bin/run-ts.mjs native-bench/endpoint.ts [--runs 3] [--rate 50000] [--seconds 10] [--saturate 400000] [--requests-only]
//
// Throughput: the job saturated (the generator offered more than it can take, `--saturate`
// events/s for `--seconds`), records / run time. Latency: at a rate it sustains (`--rate`), the
// harness's end-to-end p99 (creation → visible) after a 2 s warm-up. Then what one request costs:
// the median time of 50 requests in a row to /metrics and to /api/job while the job runs at --rate.
import { run } from '../src/runtime/job/run.ts';
import type { RunOptions } from '../src/runtime/options.ts';
import { summarize } from '../src/runtime/instrumentation/latency-merge.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const runs = arg('runs', 3);
const rate = arg('rate', 50_000);
const seconds = arg('seconds', 10);
const saturate = arg('saturate', 400_000);
const job = new URL('../examples/clicks.ts', import.meta.url);

type Config = 'off' | 'metrics' | 'metrics+ui';
const configs: Config[] = ['off', 'metrics', 'metrics+ui'];

/** Runs one job to its end, scraping its endpoint every second as `config` says. */
async function once(config: Config, options: RunOptions) {
  const handle = await run(job, { ...options, ...(config === 'off' ? {} : { http: { port: 0 } }) });
  let scrapes = 0;
  const scraper =
    config === 'off'
      ? undefined
      : setInterval(() => {
          const paths = config === 'metrics' ? ['/metrics'] : ['/metrics', '/api/job'];
          for (const path of paths) {
            fetch(`${handle.http!.url}${path}`)
              .then((res) => res.text())
              .then(() => scrapes++)
              .catch(() => {}); // the last one may meet the endpoint closing
          }
        }, 1_000);
  try {
    const result = await handle.done;
    return { result, scrapes };
  } finally {
    clearInterval(scraper);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const throughput: Record<Config, number[]> = { off: [], metrics: [], 'metrics+ui': [] };
const p99: Record<Config, number[]> = { off: [], metrics: [], 'metrics+ui': [] };
const scrapes: Record<Config, number> = { off: 0, metrics: 0, 'metrics+ui': 0 };

/** Median wall time of `count` requests in a row to `path`, answered while the job runs. */
async function requestMs(path: string, count: number): Promise<{ medianMs: number; bytes: number }> {
  const handle = await run(job, { params: { rate: String(rate), seconds: '600' }, http: { port: 0 } });
  try {
    await handle.ready;
    await new Promise((r) => setTimeout(r, 1_000));
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      bytes = (await (await fetch(`${handle.http!.url}${path}`)).text()).length;
      times.push(performance.now() - t0);
    }
    return { medianMs: median(times), bytes };
  } finally {
    await handle.stop();
  }
}

const requestsOnly = process.argv.includes('--requests-only');
for (let i = 0; i < (requestsOnly ? 0 : runs); i++) {
  for (const config of configs) {
    const saturated = await once(config, { params: { rate: String(saturate), seconds: String(seconds) } });
    const records = saturated.result.metrics.operators.find((op) => op.kind === 'source')!.recordsOut;
    throughput[config].push(records / (saturated.result.durationMs / 1000));
    const steady = await once(config, { params: { rate: String(rate), seconds: String(seconds + 2) }, measureLatency: true, warmupMs: 2_000 });
    p99[config].push(summarize(steady.result.latency!.latency.endToEnd).p99Ms);
    scrapes[config] += saturated.scrapes + steady.scrapes;
    console.error(`run ${i + 1}/${runs} ${config}: ${Math.round(throughput[config].at(-1)!).toLocaleString('en')} records/s saturated, p99 ${p99[config].at(-1)!.toFixed(1)} ms at ${rate.toLocaleString('en')}/s`);
  }
}

if (requestsOnly) {
  console.log('| request | median time | bytes |\n|---|---:|---:|');
  for (const path of ['/metrics', '/api/job']) {
    const { medianMs, bytes } = await requestMs(path, 50);
    console.log(`| ${path} | ${medianMs.toFixed(2)} ms | ${bytes.toLocaleString('en')} |`);
  }
  process.exit(0);
}
console.log(`## The endpoint's cost (examples/clicks.ts, ${runs} runs each, medians)\n`);
console.log(`Saturated: ${saturate.toLocaleString('en')} events/s offered for ${seconds} s. Latency: ${rate.toLocaleString('en')} events/s for ${seconds} s after a 2 s warm-up.\n`);
console.log('| endpoint | throughput (records/s) | vs off | p99 (ms) | vs off | requests answered |\n|---|---:|---:|---:|---:|---:|');
for (const config of configs) {
  const t = median(throughput[config]);
  const p = median(p99[config]);
  const label = config === 'off' ? 'off' : config === 'metrics' ? 'on, /metrics every 1 s' : 'on, /metrics + /api/job every 1 s';
  console.log(`| ${label} | ${Math.round(t).toLocaleString('en')} | ${(t / median(throughput.off)).toFixed(3)}× | ${p.toFixed(1)} | ${(p / median(p99.off)).toFixed(2)}× | ${scrapes[config]} |`);
}
