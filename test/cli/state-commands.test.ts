// `weir savepoint`, `weir checkpoints` and `weir run`'s state dir, as a user meets them: the CLI as
// a child process (node bin/weir.mjs …) on temp dirs; each case asserts the output and the exit code.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { decodeMetadataFile } from '../../src/checkpoint/metadata-file.ts';
import { tempDir, waitLimitMs } from '../helpers.ts';

const weirBin = fileURLToPath(new URL('../../bin/weir.mjs', import.meta.url));
const totalsJob = fileURLToPath(new URL('../jobs/keyed-totals.ts', import.meta.url));

const dirs: Array<{ remove(): void }> = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  dirs.splice(0).forEach((d) => d.remove());
});
function newDir(): string {
  const dir = tempDir('weir-cli-state-');
  dirs.push(dir);
  return dir.path;
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `weir <args>` in `cwd`; `done` settles when it exits (killed after waitLimitMs, the suite's watchdog: a hang fails the test, a busy machine does not). */
function startWeir(args: string[], cwd: string): { child: ChildProcess; done: Promise<Outcome> } {
  const child = spawn(process.execPath, [weirBin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), waitLimitMs);
  const done = new Promise<Outcome>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: signal ? null : code, stdout, stderr });
    });
  });
  return { child, done };
}

const weir = (args: string[], cwd: string) => startWeir(args, cwd).done;

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 50));
}

const completedCheckpoints = (stateDir: string) =>
  existsSync(join(stateDir, 'checkpoints')) ? readdirSync(join(stateDir, 'checkpoints')).filter((d) => d.startsWith('chk-') && existsSync(join(stateDir, 'checkpoints', d, '_metadata'))).sort() : [];

describe('weir savepoint', () => {
  test('a state dir that does not exist: an error at once, and nothing is created', async () => {
    const cwd = newDir();
    const missing = join(cwd, 'no', 'such', 'dir');
    const out = await weir(['savepoint', missing, 'sp1'], cwd);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(`weir: WEIR_CONFIG: no state dir at ${missing}`);
    expect(out.stdout).toBe('');
    expect(existsSync(join(cwd, 'no'))).toBe(false);
  });

  test('a state dir no job runs on: an error at once, and nothing is written there', async () => {
    const cwd = newDir();
    mkdirSync(join(cwd, 'state'));
    const out = await weir(['savepoint', 'state', 'sp1'], cwd);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(`WEIR_CHECKPOINT: no checkpointing job is running on ${join(cwd, 'state')}`);
    expect(readdirSync(join(cwd, 'state'))).toEqual([]);
  });

  test('of a running job: the path is printed; the same name again is refused; the list names the job; a relative --state-dir is the shell\'s', async () => {
    const cwd = newDir();
    // Relative dirs, resolved against the shell's directory: the state dir is ./state, not ./work/state.
    const run = startWeir(['run', totalsJob, '--work-dir', 'work', '--state-dir', 'state', '--checkpoint-interval', '50', '--param', 'count=100000000', '--param', 'rate=2000', '--quiet'], cwd);
    const stateDir = join(cwd, 'state');
    await until(() => completedCheckpoints(stateDir).length > 0 || run.child.exitCode !== null);
    expect(existsSync(join(cwd, 'work', 'state', 'checkpoints'))).toBe(false); // (work/state/ holds the workers' LMDB files)

    const taken = await weir(['savepoint', 'state', 'sp1'], cwd);
    expect(taken.code).toBe(0);
    const savepointDir = join(stateDir, 'checkpoints', 'savepoint-sp1');
    expect(taken.stdout.trim()).toBe(savepointDir);
    expect(existsSync(join(savepointDir, '_metadata'))).toBe(true);

    const again = await weir(['savepoint', 'state', 'sp1'], cwd);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`WEIR_CONFIG: savepoint "sp1" already exists: ${savepointDir}`);
    expect(again.stdout).toBe('');

    const listed = await weir(['checkpoints', 'state'], cwd);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^savepoint sp1 \(id \d+\)\s+complete\s+job "keyed-totals"/m);
    expect(listed.stdout).toMatch(/^checkpoint \d+\s+complete\s+job "keyed-totals"/m);

    run.child.kill('SIGINT');
    const ended = await run.done;
    expect(ended.code).toBe(0);
    // Once the job is gone, a savepoint request is refused at once.
    const late = await weir(['savepoint', 'state', 'sp2'], cwd);
    expect(late.code).toBe(1);
    expect(late.stderr).toContain('no checkpointing job is running on');
  });
});

describe('weir checkpoints', () => {
  test('a missing state dir is an error; an empty one says so', async () => {
    const cwd = newDir();
    const missing = await weir(['checkpoints', 'nowhere'], cwd);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`WEIR_CONFIG: no state dir at ${join(cwd, 'nowhere')}`);
    const empty = await weir(['checkpoints', '.'], cwd);
    expect(empty.code).toBe(0);
    expect(empty.stdout.trim()).toBe(`no checkpoints or savepoints in ${join(cwd, 'checkpoints')}`);
  });

  test('a checkpoint whose state files are gone is damaged; one never completed is not called damaged', async () => {
    const cwd = newDir();
    const run = await weir(['run', totalsJob, '--work-dir', 'state', '--checkpoint-interval', '50', '--param', 'count=20000', '--quiet'], cwd);
    expect(run.code).toBe(0);
    const [first, ...rest] = completedCheckpoints(join(cwd, 'state'));
    expect(rest.length).toBeGreaterThan(0);
    const firstDir = join(cwd, 'state', 'checkpoints', first);
    for (const file of readdirSync(firstDir).filter((f) => f.endsWith('.snapshot'))) rmSync(join(firstDir, file));
    mkdirSync(join(cwd, 'state', 'checkpoints', 'chk-000000099999')); // begun by a job that stopped before completing it

    const listed = await weir(['checkpoints', 'state'], cwd);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    const id = Number(first.slice('chk-'.length));
    expect(lines.find((l) => l.startsWith(`checkpoint ${id} `))).toMatch(/damaged\s+job "keyed-totals".*state file worker-\d\.chk-\d+\.snapshot \(worker \d\) is missing/);
    for (const other of rest) expect(lines.find((l) => l.startsWith(`checkpoint ${Number(other.slice('chk-'.length))} `))).toMatch(/ complete +job "keyed-totals"/);
    expect(lines.find((l) => l.startsWith('checkpoint 99999 '))).toMatch(/incomplete \(never completed: removed when a job next starts on this state dir\)$/);
  });
});

describe('weir run', () => {
  test('the summary counts micro-batch epochs (not the sentinel of a drained worker)', async () => {
    const cwd = newDir();
    const out = await weir(['run', totalsJob, '--work-dir', 'w', '--mode', 'micro-batch', '--batch-records', '500', '--checkpoint-interval', '50', '--param', 'count=20000'], cwd);
    expect(out.code).toBe(0);
    const epochs = Number(/micro-batch epochs completed: (\d+)/.exec(out.stderr)?.[1]);
    // A fresh run numbers its epochs from 1: its final checkpoint's epoch is the count.
    const final = completedCheckpoints(join(cwd, 'w')).at(-1)!;
    const metadata = decodeMetadataFile(readFileSync(join(cwd, 'w', 'checkpoints', final, '_metadata')));
    if (!metadata.ok) throw new Error(metadata.reason);
    expect(epochs).toBe(metadata.value.epoch);
    expect(epochs).toBeGreaterThanOrEqual(20); // 10 000 records per partition, at most 500 per epoch
  });

  test('another job\'s checkpoint is refused, naming both; --allow-non-restored-state drops its state and says so', async () => {
    const cwd = newDir();
    expect((await weir(['run', totalsJob, '--work-dir', 'w', '--checkpoint-interval', '50', '--quiet'], cwd)).code).toBe(0);
    const refused = await weir(['run', totalsJob, '--work-dir', 'w', '--checkpoint-interval', '50', '--param', 'op=sums', '--quiet'], cwd);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/WEIR_CONFIG: job "keyed-totals" cannot resume from the checkpoint at .* of job "keyed-totals": it holds state of operators this job does not have: stateful operator "totals"/);
    const allowed = await weir(['run', totalsJob, '--work-dir', 'w', '--checkpoint-interval', '50', '--param', 'op=sums', '--allow-non-restored-state'], cwd);
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toMatch(/resumed from checkpoint \d+ of job "keyed-totals" \(.*\), dropping the state of: stateful operator "totals"/);
  });
});
