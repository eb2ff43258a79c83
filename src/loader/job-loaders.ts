/**
 * The module loaders a thread registers before it imports a job file. Job files may be TypeScript
 * and saved anywhere; loaders are registered once per thread (a module runs once, however often
 * imported), so a service that embeds weir from plain JavaScript needs no loader of its own.
 *
 * Each registration costs its thread a loader thread of its own, and every later import a round
 * trip to it, so a thread registers only what the job needs:
 *   - TypeScript (tsx) and the format hooks (register.mjs): a TypeScript job, or weir itself
 *     running from its TypeScript sources (this repository);
 *   - the format hooks alone (register-js.mjs): a `.js`/`.jsx` job whose format Node would take
 *     from a package.json that does not say `"type": "module"` — job-format-hooks.mjs loads it as
 *     an ES module when it is written as one;
 *   - nothing: a `.mjs` or `.cjs` job, or a `.js` job under `"type": "module"`, whose format Node
 *     decides right on its own. A trivial two-worker job of the installed package started in
 *     0.5–0.6 s instead of 1.0 s without the three loader threads (docs/benchmarks.md, "Start-up").
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const runsFromSources = import.meta.url.endsWith('.ts');
const typeScriptFile = /\.[cm]?tsx?$/;
const formatFromExtension = /\.[cm]js$/;

export type JobLoaders = 'typescript' | 'format-hooks' | 'none';

/** `fromSources`: weir's own modules are TypeScript (this repository), so every thread needs tsx. */
export function jobLoadersFor(jobUrl: string, fromSources = runsFromSources): JobLoaders {
  const url = new URL(jobUrl);
  if (fromSources || typeScriptFile.test(url.pathname)) return 'typescript';
  if (url.protocol !== 'file:' || formatFromExtension.test(url.pathname)) return 'none';
  return nearestPackageType(dirname(fileURLToPath(url))) === 'module' ? 'none' : 'format-hooks';
}

export async function registerJobLoaders(jobUrl: string): Promise<void> {
  switch (jobLoadersFor(jobUrl)) {
    case 'typescript':
      await import('./register.mjs');
      return;
    case 'format-hooks':
      await import('./register-js.mjs');
      return;
    case 'none':
      return;
  }
}

/** The `type` of the package.json nearest above `dir` (Node's own rule for `.js` files). */
function nearestPackageType(dir: string): unknown {
  for (let at = dir; ; at = dirname(at)) {
    const file = join(at, 'package.json');
    if (existsSync(file)) {
      try {
        return (JSON.parse(readFileSync(file, 'utf8')) as { type?: unknown }).type;
      } catch {
        return undefined; // an unreadable package.json: let the hooks decide
      }
    }
    if (dirname(at) === at) return undefined;
  }
}
