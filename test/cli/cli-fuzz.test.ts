import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/util/random.ts';
import { tempDir, waitLimitMs } from '../helpers.ts';
import { commandTable, fuzzCases, type FuzzCase } from './cli-fuzz-cases.ts';
import { runCli } from './cli-process.ts';

// A seeded fuzz test of the command line: ~40 random lines over every command (valid flags, bad
// values, unknown flags, missing values, negative numbers, --help, duplicates, positionals added or
// dropped), each run as a child process in a temp dir. WEIR_FUZZ_SEED=<seed> replays a run.
const seed = Number(process.env.WEIR_FUZZ_SEED ?? Math.floor(Math.random() * 1_000_000));
const invocations = 40;
/** A hang guard, not a speed bound: a line that outlives it is reported as hanging. */
const killAfterMs = waitLimitMs;

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const countsJob = fileURLToPath(new URL('../jobs/cli-counts.ts', import.meta.url));
const benchJob = fileURLToPath(new URL('../../examples/clicks.ts', import.meta.url));

/** Every file and directory under `dir`, relative to it; not the TypeScript loader's compile cache (tmp/tsx-*). */
function listTree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: false })
    .map(String)
    .filter((path) => !/^tmp\/tsx-/.test(path))
    .sort();
}
const gitStatus = () => execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: repoRoot, encoding: 'utf8' });
const stackTrace = /\n\s+at \S.*[(:]\d+|ERR_PARSE_ARGS|node:internal|^\s+at /m;

describe(`CLI fuzz (seed ${seed}; replay with WEIR_FUZZ_SEED=${seed})`, () => {
  let sandbox: ReturnType<typeof tempDir>;
  let cwd: string;
  let repoBefore: string;
  let rootBefore: string[];
  const cases: FuzzCase[] = fuzzCases(seededRandom(seed), invocations, commandTable({ countsJob, benchJob }));

  beforeAll(() => {
    console.log(`CLI fuzz seed ${seed} (replay: WEIR_FUZZ_SEED=${seed})`);
    sandbox = tempDir('weir-cli-fuzz-');
    cwd = join(sandbox.path, 'cwd');
    mkdirSync(join(cwd, 'empty-state'), { recursive: true });
    mkdirSync(join(sandbox.path, 'tmp'));
    writeFileSync(join(cwd, 'a.json'), '{}\n');
    writeFileSync(join(cwd, 'b.json'), '{}\n');
    repoBefore = gitStatus();
    rootBefore = readdirSync('/').sort();
  });
  afterAll(() => sandbox.remove());

  it(`runs ${invocations} random command lines: no stack trace, the documented exit code, no file outside the temp dir`, async () => {
    const tally = { help: 0, 'usage-error': 0, valid: 0 };
    for (const c of cases) {
      const label = `weir ${c.args.map((a) => (a.startsWith('/') ? relative(repoRoot, a) : JSON.stringify(a))).join(' ')}  [${c.mutations.join('; ') || 'base line'}] seed ${seed}`;
      const filesBefore = listTree(sandbox.path);
      // TMPDIR inside the sandbox: a default work dir lands there, not in the machine's temp dir.
      const out = await runCli(c.args, { cwd, env: { TMPDIR: join(sandbox.path, 'tmp'), WEIR_DEBUG: '' }, killAfterMs });
      tally[c.expected]++;
      const both = `${out.stdout}\n${out.stderr}`;
      expect(both, `${label}: a stack trace`).not.toMatch(stackTrace);
      if (c.expected === 'help') {
        expect(out.code, `${label}: exit code`).toBe(0);
        expect(out.stdout, label).toMatch(new RegExp(`^weir ${c.command} `));
        expect(listTree(sandbox.path), `${label}: --help created files`).toEqual(filesBefore);
      } else if (c.expected === 'usage-error') {
        expect(out.code, `${label}: exit code (stderr: ${out.stderr})`).toBe(2);
        const lines = out.stderr.trimEnd().split('\n');
        expect(lines, label).toHaveLength(2);
        expect(lines[0], label).toMatch(/^weir: /);
        expect(lines[1], label).toBe(`run 'weir ${c.command.split(' ')[0]} --help' for its usage`);
        expect(out.stdout, label).toBe('');
        expect(listTree(sandbox.path), `${label}: a usage error started something`).toEqual(filesBefore);
      } else {
        // A valid line runs: 0, or 1 with weir's one-line error (a report that is not one, no job to take a savepoint of).
        expect([0, 1], `${label}: exit code (stderr: ${out.stderr})`).toContain(out.code);
        if (c.command === 'run') expect(out.code, `${label}: ${out.stderr}`).toBe(0);
        if (out.code === 1) expect(out.stderr, label).toMatch(/^weir: WEIR_[A-Z_]+: /m);
      }
    }
    console.log(`CLI fuzz seed ${seed}: ${JSON.stringify(tally)}`);
    expect(gitStatus(), 'files created in the repository').toBe(repoBefore);
    expect(readdirSync('/').sort(), 'files created at the filesystem root').toEqual(rootBefore);
  }, invocations * killAfterMs);
});
