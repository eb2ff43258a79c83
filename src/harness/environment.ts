import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BenchEnvironment } from './report-types.ts';

/** What a report needs to be reproduced: the code, the runtime and the machine. */
export function captureEnvironment(): BenchEnvironment {
  return {
    gitCommit: gitCommit(),
    weirVersion: weirVersion(),
    node: process.version,
    v8: process.versions.v8,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()}`,
    platform: process.platform,
    arch: process.arch,
  };
}

/** SHA-256 of a job file (hex), or null for a job that is not a local file. */
export function jobFileSha256(jobUrl: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(fileURLToPath(jobUrl))).digest('hex');
  } catch {
    return null;
  }
}

/** weir's own package.json: two levels up in the source tree (src/harness) and in dist/ (dist/harness). */
function weirVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function gitCommit(): string | null {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    return null;
  }
}
