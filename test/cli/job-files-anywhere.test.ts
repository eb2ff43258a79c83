import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.ts';
import { runCli, weirIndexUrl } from './cli-process.ts';

// The README's quick-start job, saved outside the repository, importing weir by file URL and a
// helper module of its own folder by a relative path (so the helper's format matters too).
const job = (helper: string) => `import { defineJob, generator, collect } from '${weirIndexUrl}';
import { toPurchase } from './${helper}';

export default defineJob((env) => {
  env
    .source(generator({ partitions: 2, count: 2_000, keys: 10, seed: 1 }))
    .map(toPurchase)
    .keyBy((p) => p.user)
    .reduce((a, b) => ({ user: a.user, amount: a.amount + b.amount }))
    .sinkTo(collect('totals'));
});
`;
const helper = `export const toPurchase = (e) => ({ user: 'u' + e.key, amount: e.value });\n`;

const folders: Record<string, string | undefined> = {
  'no package.json': undefined,
  'package.json {} (npm init)': '{}',
  '"type": "commonjs"': '{ "type": "commonjs" }',
  '"type": "module"': '{ "type": "module" }',
};

describe('a job file runs wherever it is saved', () => {
  let dir: ReturnType<typeof tempDir> | undefined;
  afterEach(() => dir?.remove());

  for (const [folder, packageJson] of Object.entries(folders)) {
    for (const ext of ['ts', 'mts', 'js', 'mjs']) {
      it(`wordcount.${ext} in a folder with ${folder}`, async () => {
        dir = tempDir('weir-job-anywhere-');
        if (packageJson !== undefined) writeFileSync(join(dir.path, 'package.json'), packageJson);
        writeFileSync(join(dir.path, `purchase.${ext}`), helper);
        writeFileSync(join(dir.path, `wordcount.${ext}`), job(`purchase.${ext}`));
        // One worker: the job file is still loaded by the main thread and a worker thread, as with more.
        const out = await runCli(['run', `wordcount.${ext}`, '--json', '--work-dir', 'out', '--parallelism', '1'], { cwd: dir.path });
        expect(out.stderr).toBe('');
        expect(out.code).toBe(0);
        const result = JSON.parse(out.stdout) as { metrics: { operators: Array<{ name: string; recordsIn: number }> } };
        expect(result.metrics.operators.find((o) => o.name === 'totals')?.recordsIn).toBe(2_000);
      });
    }
  }
});
