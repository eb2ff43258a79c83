import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { END, type SourceSpec } from '../src/connectors/types.ts';
import { WeirError } from '../src/errors.ts';
import { readCommittedLines } from '../src/connectors/index.ts';
import { run, type RunOptions } from '../src/runtime/index.ts';

/** Reads every record of a bounded source synchronously, partition by partition (the brute-force side of a test). */
export async function readAll<T>(spec: SourceSpec<T>): Promise<Array<{ partition: number; value: T; offset: number }>> {
  const all: Array<{ partition: number; value: T; offset: number }> = [];
  for (let partition = 0; partition < spec.partitions(); partition++) {
    const reader = await spec.open(partition, { partition, parallelism: spec.partitions(), workDir: tmpdir(), startMs: 0, nowMs: () => performance.timeOrigin + performance.now() });
    const out = {
      emit: (value: T, offset: number) => void all.push({ partition, value, offset }),
      deadLetter: () => {},
    };
    for (;;) {
      const got = await reader.poll(1024, out);
      if (got === END) break;
    }
    await reader.close();
  }
  return all;
}

export function tempDir(prefix = 'weir-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * How long a test waits for something that must happen before it calls it a hang. Tests assert
 * what happens, never how fast: on a 2-core machine whose cores are busy with other work a job can
 * run ten times slower than on an idle one, so the limit is generous (and matches vitest's test
 * timeout, vitest.config.ts).
 */
export const waitLimitMs = 300_000;

/**
 * A maker of fresh temp dirs, each removed after the test that made it. Call it at the top of a
 * file or a describe block (it registers the clean-up there).
 */
export function tempDirsPerTest(prefix = 'weir-test-'): () => string {
  const dirs: Array<{ remove(): void }> = [];
  afterEach(() => dirs.splice(0).forEach((d) => d.remove()));
  return () => {
    const dir = tempDir(prefix);
    dirs.push(dir);
    return dir.path;
  };
}

export const jobUrl = (name: string) => new URL(`./jobs/${name}.ts`, import.meta.url);

/**
 * Writes `source` as job.ts in `dir`, in a package of its own (`"type": "module"`), as a user's
 * job module sits; returns its path. Its types are stripped, never checked: a mistake in it
 * reaches weir as it would from JavaScript.
 */
export function writeJobModule(dir: string, source: string): string {
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
  const file = join(dir, 'job.ts');
  writeFileSync(file, source);
  return file;
}

/** Awaits a promise that must reject with a WeirError (of `code`, with a message matching `message`, when given) and returns the error. */
export async function expectWeirError(promise: Promise<unknown>, code?: string, message?: RegExp): Promise<WeirError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WeirError);
  if (code !== undefined) expect((err as WeirError).code).toBe(code);
  if (message !== undefined) expect((err as WeirError).message).toMatch(message);
  return err as WeirError;
}

/**
 * Runs a test job that fails once at record `failAt` (its `failAt` and `markers` parameters) and
 * writes exactly-once file sinks under `out`, checkpointing every 20 ms with up to three restarts;
 * asserts that it restarted once. Returns the committed lines of sink `name`, parsed.
 */
export async function runFailingOnce(job: URL, settings: RunOptions, workDir: string, params: Record<string, string>): Promise<<T>(name: string) => T[]> {
  const out = join(workDir, 'out');
  const result = await (
    await run(job, {
      ...settings,
      workDir,
      parallelism: 2,
      checkpointIntervalMs: 20,
      restartStrategy: { kind: 'fixed-delay', attempts: 3, delayMs: 10 },
      params: { ...params, failAt: '6000', markers: workDir, out },
    })
  ).done;
  expect(result.metrics.restarts).toHaveLength(1);
  return <T>(name: string) => readCommittedLines(join(out, name)).map((l) => JSON.parse(l) as T);
}

