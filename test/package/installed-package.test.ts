// weir as a package, used the way a service uses it: `npm pack`, installed into a fresh project
// outside this repository, then (a) a plain `.mjs` service embeds a job with plain `node`, (b) a
// TypeScript service type-checks against the published declarations, (c) `npx weir run` runs a
// `.ts` and a `.js` job of that project.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let dir: ReturnType<typeof tempDir>;
let project: string;

/** Runs a command to its end without blocking this thread (vitest's own messages must get through). */
function exec(command: string, args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function execOk(command: string, args: string[], cwd: string): Promise<string> {
  const r = await exec(command, args, cwd);
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${r.status}:\n${r.stderr}`);
  return r.stdout;
}

/** The lines of every file of `dir` whose name starts with `prefix`. */
const linesOf = (dir: string, prefix: string) =>
  readdirSync(dir)
    .filter((f) => f.startsWith(prefix))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean));

/** A job as a user writes it in their own project: `weir` imported by its package name. */
const job = (extension: 'ts' | 'js') => `import { defineJob, generator, fileSink } from 'weir';

export default defineJob((env) => {
  env
    .source(generator({ partitions: 2, count: 1000, keys: 10, seed: 1 }))
    .keyBy((e${extension === 'ts' ? ': { key: number }' : ''}) => e.key)
    .reduce((a, b) => ({ ...a, value: a.value + b.value }))
    .sinkTo(fileSink({ path: 'totals-${extension}.jsonl' }));
});
`;

beforeAll(async () => {
  dir = tempDir('weir-package-');
  // prepack builds dist/; the tarball is what `npm publish` would upload.
  await execOk(npm, ['pack', '--silent', '--pack-destination', dir.path], repo);
  const tarball = readdirSync(dir.path).find((f) => f.endsWith('.tgz'))!;
  project = join(dir.path, 'service');
  mkdirSync(project);
  // A fresh project as `npm init -y` makes it: no "type" field.
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'service', version: '1.0.0', private: true }, null, 2));
  await execOk(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--silent', join(dir.path, tarball)], project);
});
afterAll(() => dir?.remove());

describe('the installed package', () => {
  it('ships compiled JavaScript with declarations and the command; no sources, tests or benchmarks', () => {
    const installed = join(project, 'node_modules', 'weir');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(manifest.exports['.'].types).toBe('./dist/index.d.ts');
    expect(manifest.exports['.'].import).toBe('./dist/index.js');
    const top = readdirSync(installed).sort();
    expect(top).toEqual(expect.arrayContaining(['bin', 'dist', 'package.json', 'README.md']));
    for (const absent of ['src', 'test', 'native-bench', 'examples', '.ci', 'docs']) expect(top).not.toContain(absent);
  });

  it('a plain Node service (.mjs) embeds a job with plain node', async () => {
    writeFileSync(join(project, 'count.mjs'), job('js'));
    writeFileSync(
      join(project, 'service.mjs'),
      `import { run } from 'weir';
const job = await run(new URL('./count.mjs', import.meta.url), { workDir: new URL('./out-embedded', import.meta.url).pathname });
const result = await job.done;
const totals = result.metrics.operators.find((o) => o.kind === 'sink');
console.log(JSON.stringify({ sinkIn: totals.recordsIn }));
`,
    );
    const out = await execOk(process.execPath, ['service.mjs'], project);
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({ sinkIn: 1000 });
    expect(linesOf(join(project, 'out-embedded'), 'totals-js')).toHaveLength(1000); // a running total per record
  });

  it('a TypeScript service type-checks against the published declarations; a wrong field is a compile error', async () => {
    writeFileSync(
      join(project, 'service.mts'),
      `import { run, defineJob, generator, collect, type JobResult } from 'weir';

export default defineJob((env) => {
  env
    .source(generator({ partitions: 1, count: 10 }))
    .map((e) => ({ user: \`u\${e.key}\`, amount: e.value }))
    .filter((p) => p.amount > 1)
    .keyBy((p) => p.user)
    // @ts-expect-error: the records of this stream have no field 'price' (inferred through the chain)
    .reduce((a, b) => ({ user: a.user, amount: a.amount + b.price }))
    .sinkTo(collect('totals'));
});

export async function serve(): Promise<JobResult> {
  const job = await run(new URL('./service.mts', import.meta.url));
  return job.done;
}
`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'], typeRoots: [join(repo, 'node_modules', '@types')] },
        files: ['service.mts'],
      }),
    );
    const tsc = [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'];
    const checked = await exec(process.execPath, tsc, project);
    expect(checked.stdout + checked.stderr).toBe('');
    expect(checked.status).toBe(0);
    // Without the expectation, the same line is an error naming the field.
    writeFileSync(join(project, 'service.mts'), readFileSync(join(project, 'service.mts'), 'utf8').replace(/^.*@ts-expect-error.*\n/m, ''));
    const wrong = await exec(process.execPath, tsc, project);
    expect(wrong.status).not.toBe(0);
    expect(wrong.stdout).toMatch(/Property 'price' does not exist/);
  });

  it.each(['ts', 'js'] as const)('npx weir run runs a .%s job of the project', async (extension) => {
    writeFileSync(join(project, `job-${extension}.${extension}`), job(extension));
    const out = await exec(npm, ['exec', '--offline', '--', 'weir', 'run', `job-${extension}.${extension}`, '--work-dir', `out-${extension}`], project);
    expect(out.stderr).not.toMatch(/error/i); // stderr carries the progress lines
    expect(out.status).toBe(0);
    expect(linesOf(join(project, `out-${extension}`), `totals-${extension}`)).toHaveLength(1000);
  });
});
