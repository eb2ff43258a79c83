import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobMetrics } from '../../src/runtime/metrics.ts';
import { run, type JobHandle } from '../../src/runtime/job/run.ts';
import { expectWeirError, jobUrl, tempDirsPerTest } from '../helpers.ts';
import { parsePrometheusText, sampleValue, type Sample } from './prometheus-text.ts';

const get = async (handle: JobHandle, path: string) => {
  const res = await fetch(`${handle.http!.url}${path}`);
  return { status: res.status, body: await res.text(), contentType: res.headers.get('content-type') };
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the HTTP endpoint', () => {
  const dir = tempDirsPerTest('weir-http-');

  it('is off by default', async () => {
    const job = await run(jobUrl('cli-counts'), { params: { count: '100' }, workDir: dir() });
    expect(job.http).toBeUndefined();
    await job.done;
  });

  it('/readyz says 503 with the state until every worker passed the start gate, then 200; /healthz 200 all along', async () => {
    const work = dir();
    const [gate, closeGate] = [join(work, 'gate'), join(work, 'close-gate')];
    const job = await run(jobUrl('gated-start'), { params: { gate, closeGate }, workDir: work, http: { port: 0 } });
    expect(job.http!.host).toBe('127.0.0.1');
    expect(job.http!.port).toBeGreaterThan(0);
    // The sources cannot open before the gate file exists: the job is starting, however long we look.
    for (let i = 0; i < 3; i++) {
      expect(await get(job, '/readyz')).toMatchObject({ status: 503, body: 'starting\n' });
      expect((await get(job, '/healthz')).status).toBe(200);
      await sleep(50);
    }
    writeFileSync(gate, '');
    await job.ready;
    expect(await get(job, '/readyz')).toMatchObject({ status: 200, body: 'running\n' });
    expect((await get(job, '/nope')).status).toBe(404);
    // The sink does not close before the close gate exists: the job is stopping, and still serves.
    const stopping = job.stop();
    for (let i = 0; i < 3; i++) {
      expect(await get(job, '/readyz')).toMatchObject({ status: 503, body: 'stopping\n' });
      await sleep(50);
    }
    writeFileSync(closeGate, '');
    await stopping;
  });

  it('/metrics renders metrics() in the Prometheus text format, read at scrape time', async () => {
    const work = dir();
    const gate = join(work, 'gate');
    writeFileSync(gate, '');
    const job = await run(jobUrl('gated-start'), { params: { gate, rate: '5000' }, workDir: work, checkpointIntervalMs: 100, http: { port: 0 } });
    await job.ready;
    // Wait until records flowed through and a checkpoint completed, so the numbers are not all 0.
    while ((job.metrics().checkpoints?.completed ?? 0) < 1 || job.metrics().operators.every((op) => op.recordsOut === 0)) await sleep(20);

    const before: JobMetrics = job.metrics();
    const scraped = await get(job, '/metrics');
    const after: JobMetrics = job.metrics();
    expect(scraped.status).toBe(200);
    expect(scraped.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples: Sample[] = parsePrometheusText(scraped.body);
    // Counters only grow within an attempt: the scrape's value lies between the readings around it.
    const between = (value: number, low: number, high: number) => {
      expect(value).toBeGreaterThanOrEqual(low);
      expect(value).toBeLessThanOrEqual(high);
    };

    expect(before.operators.length).toBeGreaterThan(0);
    for (const [i, op] of before.operators.entries()) {
      for (const [worker, counts] of op.perWorker.entries()) {
        const labels = { operator: op.name, kind: op.kind, worker };
        between(sampleValue(samples, 'weir_operator_records_in_total', labels), counts.recordsIn, after.operators[i].perWorker[worker].recordsIn);
        between(sampleValue(samples, 'weir_operator_records_out_total', labels), counts.recordsOut, after.operators[i].perWorker[worker].recordsOut);
      }
    }
    expect(samples.filter((s) => s.name === 'weir_operator_records_in_total')).toHaveLength(before.operators.length * 2);
    for (const [i, s] of before.sources.entries()) {
      const labels = { source: s.source, partition: s.partition, worker: s.worker };
      between(sampleValue(samples, 'weir_source_records_total', labels), s.records, after.sources[i].records);
      expect(sampleValue(samples, 'weir_source_records_per_second', labels)).toBeGreaterThanOrEqual(0);
    }
    // keyBy is an exchange: 2 workers → 4 rings.
    expect(before.channels).toHaveLength(4);
    for (const [i, c] of before.channels.entries()) {
      const labels = { exchange: c.exchange, from: c.from, to: c.to };
      between(sampleValue(samples, 'weir_channel_blocked_seconds_total', labels), c.blockedMs / 1000, after.channels[i].blockedMs / 1000);
      const fill = sampleValue(samples, 'weir_channel_fill_ratio', labels);
      between(fill, 0, 1);
      expect(sampleValue(samples, 'weir_channel_used_bytes', labels)).toBe(fill * job.options.ringCapacityBytes);
    }
    between(sampleValue(samples, 'weir_checkpoints_completed_total'), before.checkpoints!.completed, after.checkpoints!.completed);
    between(sampleValue(samples, 'weir_checkpoint_last_id'), before.checkpoints!.lastCompletedId, after.checkpoints!.lastCompletedId);
    expect(sampleValue(samples, 'weir_checkpoint_last_size_bytes')).toBeGreaterThan(0);
    for (const name of ['weir_checkpoint_last_duration_seconds', 'weir_checkpoint_last_alignment_seconds', 'weir_checkpoint_last_state_size_bytes', 'weir_checkpoint_duration_seconds_total', 'weir_checkpoints_incremental_total']) {
      expect(sampleValue(samples, name)).toBeGreaterThanOrEqual(0);
    }
    expect(sampleValue(samples, 'weir_dead_letters_total')).toBe(before.deadLetters);
    expect(sampleValue(samples, 'weir_restarts_total')).toBe(0);
    expect(sampleValue(samples, 'weir_connection_retries_total')).toBe(before.connectionRetries);
    expect(sampleValue(samples, 'weir_micro_batch_epochs_total')).toBe(0);
    expect(sampleValue(samples, 'weir_job_state', { state: 'running' })).toBe(1);
    for (const state of ['starting', 'stopping', 'restarting', 'finished', 'failed']) expect(sampleValue(samples, 'weir_job_state', { state })).toBe(0);
    expect(sampleValue(samples, 'weir_job_startup_seconds')).toBeCloseTo(before.startupMs! / 1000, 6);
    between(sampleValue(samples, 'weir_job_run_seconds'), before.runMs! / 1000, after.runMs! / 1000);
    expect(sampleValue(samples, 'weir_job_info', { job: 'gated-start', mode: 'continuous' })).toBe(1);
    // The generator cannot tell its lag: no series rather than a made-up 0.
    expect(samples.some((s) => s.name === 'weir_source_lag_records')).toBe(false);
    await job.stop();
  });

  it('/metrics in micro-batch mode counts the completed epochs', async () => {
    const work = dir();
    const gate = join(work, 'gate');
    writeFileSync(gate, '');
    const job = await run(jobUrl('gated-start'), { params: { gate }, workDir: work, mode: 'micro-batch', microBatchIntervalMs: 50, http: { port: 0 } });
    while (job.metrics().epochsCompleted < 2) await sleep(20);
    const before = job.metrics().epochsCompleted;
    const samples = parsePrometheusText((await get(job, '/metrics')).body);
    const after = job.metrics().epochsCompleted;
    const epochs = sampleValue(samples, 'weir_micro_batch_epochs_total');
    expect(epochs).toBeGreaterThanOrEqual(before);
    expect(epochs).toBeLessThanOrEqual(after);
    expect(sampleValue(samples, 'weir_job_info', { job: 'gated-start', mode: 'micro-batch' })).toBe(1);
    await job.stop();
  });

  it('/metrics counts restarts, and /readyz is 200 again once the restarted attempt is ready', async () => {
    const job = await run(jobUrl('custom-sink-recovery'), {
      params: { out: dir(), markers: dir(), failAt: '1500', count: '30000', rate: '3000' },
      workDir: dir(),
      restartStrategy: { kind: 'fixed-delay', attempts: 1, delayMs: 100 },
      http: { port: 0 },
    });
    while (job.metrics().restarts!.length === 0 || job.metrics().state !== 'running') await sleep(20);
    const samples = parsePrometheusText((await get(job, '/metrics')).body);
    expect(sampleValue(samples, 'weir_restarts_total')).toBe(1);
    expect(sampleValue(samples, 'weir_job_state', { state: 'running' })).toBe(1);
    expect((await get(job, '/readyz')).status).toBe(200);
    await job.stop();
  });

  it('closes when a bounded job ends: done settles once the port no longer answers', async () => {
    const work = dir();
    const gate = join(work, 'gate');
    writeFileSync(gate, '');
    const job = await run(jobUrl('gated-start'), { params: { gate, count: '2000', rate: '20000' }, workDir: work, http: { port: 0 } });
    const url = job.http!.url;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const result = await job.done;
    expect(result.metrics.state).toBe('finished');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('a port in use fails run() with WEIR_CONFIG before the job starts', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as { port: number }).port;
    try {
      await expectWeirError(run(jobUrl('cli-counts'), { params: { count: '100' }, workDir: dir(), http: { port } }), 'WEIR_CONFIG', new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE`));
      await expectWeirError(run(jobUrl('cli-counts'), { params: { count: '100' }, workDir: dir(), http: { port: 70_000 } }), 'WEIR_CONFIG', /http\.port must be an integer from 0 to 65535/);
    } finally {
      taken.close();
    }
  });
});
