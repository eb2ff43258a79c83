import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir, waitLimitMs } from '../helpers.ts';
import { weirBin } from './cli-process.ts';

const countsJob = fileURLToPath(new URL('../jobs/cli-counts.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('weir run under a service manager', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('weir-sigterm-');
  });
  afterEach(() => dir.remove());

  it('SIGTERM stops an unbounded job gracefully: everything read drains, the summary is printed, exit 0', async () => {
    const child = spawn(process.execPath, [weirBin, 'run', countsJob, '--http', '0', '--work-dir', 'w'], { cwd: dir.path, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    const killer = setTimeout(() => child.kill('SIGKILL'), waitLimitMs);
    try {
      // --http 0: the port is printed at the start.
      let url: string | undefined;
      while (!(url = /weir: serving (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(stderr)?.[1])) {
        if (child.exitCode !== null) throw new Error(`weir exited early: ${stderr}`);
        await sleep(20);
      }
      // Ready (every worker passed the start gate) and records have been read.
      while ((await fetch(`${url}/readyz`)).status !== 200) await sleep(20);
      while (!/weir_source_records_total\{[^}]*\} [1-9]/.test(await (await fetch(`${url}/metrics`)).text())) await sleep(20);

      child.kill('SIGTERM');
      const { code, signal } = await exited;
      expect(signal).toBeNull();
      expect(code).toBe(0);
      expect(stderr).toContain('weir: stopping — draining and flushing sinks…');
      expect(stderr).toMatch(/^weir: finished — ran /m);
      // Drained: every event read was counted and reached the collect sink (one count per event).
      const read = [...stderr.matchAll(/^ {2}source events partition \d \(worker \d\): (\d+) records$/gm)].reduce((a, m) => a + Number(m[1]), 0);
      expect(read).toBeGreaterThan(0);
      const saved = Number(/collect sink "counts": (\d+) record\(s\) saved/.exec(stderr)?.[1]);
      expect(saved).toBe(read);
      // The endpoint went with the job.
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    } finally {
      clearTimeout(killer);
      child.kill('SIGKILL');
    }
  });
});
