import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { jobLoadersFor } from '../../src/loader/job-loaders.ts';
import { tempDir } from '../helpers.ts';

// What the installed package (compiled JavaScript) registers before it imports a job file.
describe('the loaders a job file needs', () => {
  let dir: ReturnType<typeof tempDir> | undefined;
  afterEach(() => dir?.remove());

  const loadersOf = (file: string, packageJson?: string) => {
    dir = tempDir('weir-job-loaders-');
    if (packageJson !== undefined) writeFileSync(join(dir.path, 'package.json'), packageJson);
    return jobLoadersFor(pathToFileURL(join(dir.path, file)).href, false);
  };

  it('TypeScript jobs get tsx, whatever their package says', () => {
    for (const file of ['job.ts', 'job.mts', 'job.cts', 'job.tsx']) expect(loadersOf(file, '{ "type": "module" }')).toBe('typescript');
  });

  it('.mjs and .cjs jobs get nothing: their extension says their format', () => {
    expect(loadersOf('job.mjs')).toBe('none');
    expect(loadersOf('job.cjs', '{ "type": "module" }')).toBe('none');
  });

  it('a .js job gets the format hooks unless its package says "type": "module"', () => {
    expect(loadersOf('job.js')).not.toBe('typescript');
    expect(loadersOf('job.js', '{}')).toBe('format-hooks');
    expect(loadersOf('job.js', '{ "type": "commonjs" }')).toBe('format-hooks');
    expect(loadersOf('job.js', 'not json')).toBe('format-hooks');
    expect(loadersOf('job.js', '{ "type": "module" }')).toBe('none');
  });

  it('in this repository every job gets tsx: weir itself is TypeScript here', () => {
    expect(jobLoadersFor(pathToFileURL('/tmp/job.mjs').href, true)).toBe('typescript');
  });
});
