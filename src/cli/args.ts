import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from './flags.ts';

/** A positional's check: the path names an existing file (`what` says which, in the error). */
export function existingFile(what: string): (path: string) => void {
  return (path) => {
    const full = resolve(path);
    if (!existsSync(full)) throw new UsageError(`no ${what} ${path} (looked for ${full})`);
    if (!statSync(full).isFile()) throw new UsageError(`the ${what} ${path} is not a file`);
  };
}
