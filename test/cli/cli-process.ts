import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitLimitMs } from '../helpers.ts';

export const weirBin = fileURLToPath(new URL('../../bin/weir.mjs', import.meta.url));
/** weir's public entry point as a file URL: a job saved outside the repository imports it so. */
export const weirIndexUrl = new URL('../../src/index.ts', import.meta.url).href;

export interface CliOutcome {
  /** The exit code; null when the process was killed (it outlived `killAfterMs`). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `weir <args>` as a child process in `cwd`. A process still alive after `killAfterMs` is
 * killed and reported with code null, so a hang fails the test instead of stalling it; by default
 * after waitLimitMs, the watchdog every wait of the suite shares (a busy machine is slow, not hung).
 */
export function runCli(args: string[], options: { cwd: string; killAfterMs?: number; env?: NodeJS.ProcessEnv }): Promise<CliOutcome> {
  if (options.env?.TMPDIR !== undefined) shareTypeScriptCache(options.env.TMPDIR);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [weirBin, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? waitLimitMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: signal ? null : code, stdout, stderr });
    });
  });
}

/**
 * The `weir` command of this repository runs its TypeScript sources through tsx, which keeps what
 * it compiled in `<temp dir>/tsx-<uid>`, by content hash. A test that gives the child its own
 * TMPDIR (so that a default work dir lands in the test's folder) would have every thread of the
 * child compile weir's sources again (measured: ~0.8 s of CPU per run); the child's temp dir gets
 * a link to this process's cache instead.
 */
function shareTypeScriptCache(childTmpDir: string): void {
  const uid = process.geteuid?.() ?? userInfo().username;
  const link = join(childTmpDir, `tsx-${uid}`);
  const cache = join(tmpdir(), `tsx-${uid}`);
  if (existsSync(link) || !existsSync(cache)) return;
  mkdirSync(childTmpDir, { recursive: true });
  symlinkSync(cache, link, 'dir');
}
