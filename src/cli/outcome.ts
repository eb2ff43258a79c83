import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toPlainError, type PlainError } from '../errors.ts';
import type { ResolvedOptions } from '../runtime/options.ts';
import type { JobHandle, RestoredFrom } from '../runtime/job/run.ts';

/** What `weir run` says about how a run began, the results it kept and how it failed. */

/** Where the run started, in a sentence: the checkpoint or savepoint, what was skipped or replayed, or that it started empty. */
export function describeStart(restoredFrom: RestoredFrom | undefined, options: ResolvedOptions): string {
  if (restoredFrom === undefined) return 'started empty (the job takes no checkpoints)';
  const parts: string[] = [];
  if (restoredFrom.id === undefined) {
    parts.push(options.restoreFrom === 'none' ? 'started empty (--from none)' : `started empty: no usable checkpoint in ${join(options.stateDir, 'checkpoints')}`);
  } else {
    const what = restoredFrom.savepointName !== undefined ? `savepoint "${restoredFrom.savepointName}" (checkpoint ${restoredFrom.id})` : `checkpoint ${restoredFrom.id}`;
    parts.push(`resumed from ${what} in ${restoredFrom.dir}`);
  }
  for (const s of restoredFrom.skipped) parts.push(`skipped checkpoint ${s.id} (${s.reason})`);
  if (restoredFrom.replayedEpochs) parts.push(`replays ${restoredFrom.replayedEpochs} micro-batch epoch(s) from the offset log`);
  return parts.join('; ');
}

/** JSON for `restoredFrom`: null when the job takes no checkpoints, `id: null` when it started empty. */
export function restoredFromJson(restoredFrom: RestoredFrom | undefined): unknown {
  if (restoredFrom === undefined) return null;
  return { ...restoredFrom, id: restoredFrom.id ?? null, dir: restoredFrom.dir ?? null };
}

export interface CollectedOutput {
  sink: string;
  records: number;
  /** The JSON-lines file the records were written to. */
  path: string;
}

/**
 * collect() sinks keep their records in memory and hand them to run()'s caller; on the command
 * line they would vanish with the process, so each is saved as JSON lines in the work dir
 * (`<work-dir>/collected/<sink>.jsonl`), whatever its size, and the CLI prints where.
 */
export function saveCollected(handle: JobHandle, results: Record<string, unknown>): CollectedOutput[] {
  const saved: CollectedOutput[] = [];
  for (const { name, kind } of handle.sinks) {
    if (kind !== 'collect') continue;
    const records = Array.isArray(results[name]) ? (results[name] as unknown[]) : [];
    const dir = join(handle.options.workDir, 'collected');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.jsonl`);
    writeFileSync(path, records.map((r) => `${JSON.stringify(r) ?? 'null'}\n`).join(''));
    saved.push({ sink: name, records: records.length, path });
  }
  return saved;
}

/**
 * Reads every resultsSink of the job as it runs (nobody else would: the job would wait for a
 * consumer) and writes its records as JSON lines to `<work-dir>/collected/<sink>.jsonl`, as
 * saveCollected does for collect sinks at the end. Resolves when the job is over; rejects with the
 * job's error if it fails.
 */
export async function drainResults(handle: JobHandle): Promise<CollectedOutput[]> {
  const sinks = handle.sinks.filter((s) => s.kind === 'results');
  return Promise.all(
    sinks.map(async ({ name }) => {
      const dir = join(handle.options.workDir, 'collected');
      mkdirSync(dir, { recursive: true });
      const path = join(dir, `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.jsonl`);
      const fd = openSync(path, 'w');
      let records = 0;
      let pending = '';
      try {
        for await (const record of handle.results(name)) {
          records++;
          pending += `${JSON.stringify(record) ?? 'null'}\n`;
          if (pending.length >= 1 << 16) {
            writeSync(fd, pending);
            pending = '';
          }
        }
        writeSync(fd, pending);
      } finally {
        closeSync(fd);
      }
      return { sink: name, records, path };
    }),
  );
}

const weirSourceDir = fileURLToPath(new URL('../', import.meta.url));

/**
 * The frames of a user function's original stack that are the user's own (not weir's runtime,
 * not node_modules, not Node's internals), with the error's first line: what the README means by
 * "the original stack is kept".
 */
export function userStack(err: unknown): string[] {
  if (!(err instanceof Error) || typeof err.stack !== 'string') return [];
  const marker = '--- original stack ---\n';
  const at = err.stack.indexOf(marker);
  if (at === -1) return [];
  const lines = err.stack.slice(at + marker.length).split('\n');
  const frames = lines.filter((line) => /^\s+at /.test(line) && isUserFrame(line));
  if (frames.length === 0) return [];
  const head = lines.find((line) => !/^\s+at /.test(line)) ?? '';
  return [head, ...frames.map((f) => `    ${f.trim()}`)];
}

function isUserFrame(frame: string): boolean {
  return !frame.includes(weirSourceDir) && !frame.includes('/node_modules/') && !frame.includes('node:internal') && !/\(node:|at node:/.test(frame);
}

/** The error as `weir run --json` prints it: its code, message, where it happened and its stack. */
export function errorJson(err: unknown): PlainError {
  return toPlainError(err);
}
