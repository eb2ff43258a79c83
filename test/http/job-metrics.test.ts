import { describe, expect, it } from 'vitest';
import { run, type JobHandle } from '../../src/runtime/job/run.ts';
import { jobUrl, tempDirsPerTest } from '../helpers.ts';
import { parsePrometheusText, sampleValue } from './prometheus-text.ts';

const scrape = async (job: JobHandle) => parsePrometheusText(await (await fetch(`${job.http!.url}/metrics`)).text());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the metrics added for watching a job', () => {
  const dir = tempDirsPerTest('weir-job-metrics-');

  it('/metrics has the end-to-end latency histogram, per-operator rates, watermarks and their lag, and metrics() the same', async () => {
    const job = await run(jobUrl('observed'), { params: { rate: '4000' }, workDir: dir(), http: { port: 0 } });
    await job.ready;
    // Until records reached the sinks, every operator had a watermark and a second of rates passed.
    // (and the source's rate over the last second shows records flowing).
    const waiting = (m = job.metrics()) => m.latency.count < 100 || m.operators.some((op) => op.watermarkMs === undefined) || m.elapsedMs < 1_200 || m.operators[0].recordsOutPerSec === 0;
    while (waiting()) await sleep(50);

    const readAtMs = Date.now();
    const before = job.metrics();
    const readUntilMs = Date.now();
    const samples = await scrape(job);
    const after = job.metrics();

    // The histogram: cumulative buckets ending in +Inf, _count equal to the +Inf bucket, between the readings around the scrape.
    const buckets = samples.filter((s) => s.name === 'weir_end_to_end_latency_seconds_bucket');
    expect(buckets.map((b) => b.labels.le)).toEqual([...before.latency.buckets.map((b) => (Number.isFinite(b.leMs) ? String(b.leMs / 1000) : '+Inf'))]);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value);
    const count = sampleValue(samples, 'weir_end_to_end_latency_seconds_count');
    expect(count).toBe(buckets[buckets.length - 1].value);
    expect(count).toBeGreaterThanOrEqual(before.latency.count);
    expect(count).toBeLessThanOrEqual(after.latency.count);
    expect(sampleValue(samples, 'weir_end_to_end_latency_seconds_sum')).toBeGreaterThan(0);
    // Both sinks count: every record reaching 'discard' and every window result (windows arrive later than created).
    expect(before.latency.p50Ms).toBeGreaterThan(0);
    expect(before.latency.p99Ms!).toBeGreaterThanOrEqual(before.latency.p50Ms!);

    for (const [i, op] of before.operators.entries()) {
      const labels = { operator: op.name, kind: op.kind };
      const rate = sampleValue(samples, 'weir_operator_records_out_per_second', labels);
      expect(rate).toBeGreaterThanOrEqual(0);
      expect(sampleValue(samples, 'weir_operator_records_in_per_second', labels)).toBeGreaterThanOrEqual(0);
      for (const [worker, w] of op.perWorker.entries()) {
        const wm = sampleValue(samples, 'weir_operator_watermark_seconds', { ...labels, worker });
        expect(wm * 1000).toBeGreaterThanOrEqual(w.watermarkMs!);
        expect(wm * 1000).toBeLessThanOrEqual(after.operators[i].perWorker[worker].watermarkMs!);
      }
      expect(sampleValue(samples, 'weir_operator_watermark_lag_seconds', labels)).toBeGreaterThanOrEqual(0);
    }
    // A rate over the last second, not the total.
    const source = before.operators.find((op) => op.kind === 'source')!;
    expect(source.recordsOutPerSec).toBeLessThan(source.recordsOut);
    // The lag is the wall clock at the reading minus the watermark.
    expect(source.watermarkLagMs).toBeGreaterThanOrEqual(readAtMs - source.watermarkMs!);
    expect(source.watermarkLagMs).toBeLessThanOrEqual(readUntilMs - source.watermarkMs!);
    expect(sampleValue(samples, 'weir_dead_letters_total')).toBeGreaterThan(0);
    await job.stop();
  });

  it('metrics().checkpoints.history keeps the completed checkpoints, oldest first', async () => {
    const job = await run(jobUrl('observed'), { params: { rate: '2000' }, workDir: dir(), checkpointIntervalMs: 100 });
    while ((job.metrics().checkpoints?.completed ?? 0) < 3) await sleep(20);
    const { history, completed, lastCompletedId } = job.metrics().checkpoints!;
    expect(history.length).toBe(Math.min(completed, 30));
    expect(history[history.length - 1].id).toBe(lastCompletedId);
    for (let i = 1; i < history.length; i++) expect(history[i].id).toBeGreaterThan(history[i - 1].id);
    for (const c of history) {
      expect(c.durationMs).toBeGreaterThanOrEqual(0);
      expect(c.stateBytes).toBeGreaterThan(0);
    }
    await job.stop();
  });
});

describe('GET /api/job', () => {
  const dir = tempDirsPerTest('weir-api-job-');

  it('answers the job graph and a metrics() reading as JSON', async () => {
    const job = await run(jobUrl('observed'), { params: { rate: '2000' }, workDir: dir(), http: { port: 0 } });
    await job.ready;
    const before = job.metrics();
    const res = await fetch(`${job.http!.url}/api/job`);
    const after = job.metrics();
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const view = await res.json();
    expect(view).toMatchObject({ name: 'observed', mode: 'continuous', parallelism: 2 });
    const names = before.operators.map((op) => op.name);
    expect(view.graph.nodes.map((n: { name: string }) => n.name)).toEqual(names);
    const byName = (name: string) => view.graph.nodes.find((n: { name: string }) => n.name === name);
    expect(byName('by-key')).toMatchObject({ kind: 'keyBy', exchange: true, inputs: [byName('parse').id] });
    expect(byName('events')).toMatchObject({ kind: 'source', inputs: [] });
    expect(byName('discard')).toMatchObject({ kind: 'sink', sinkKind: 'discard' });
    expect(view.metrics.state).toBe('running');
    for (const [i, op] of view.metrics.operators.entries()) {
      expect(op.recordsOut).toBeGreaterThanOrEqual(before.operators[i].recordsOut);
      expect(op.recordsOut).toBeLessThanOrEqual(after.operators[i].recordsOut);
    }
    // The histogram's +∞ bound is null in JSON.
    expect(view.metrics.latency.buckets.at(-1).leMs).toBeNull();
    const page = await fetch(`${job.http!.url}/`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('api/job');
    await job.stop();
  });
});
