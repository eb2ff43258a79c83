// Module resolution hooks (run on Node's loader thread). A job file written with `import` and
// `export default` is an ES module wherever it is saved, but Node and the TypeScript loader decide a
// `.ts` or `.js` file's format from the nearest package.json: without `"type": "module"` (a fresh
// `npm init -y` project, or `"type": "commonjs"`) they load it as CommonJS, which fails ("Cannot
// require() ES Module … in a cycle", or a SyntaxError on `import`). So a file they would load as
// CommonJS but whose source uses ES module syntax is loaded as an ES module instead, the way Node's
// own syntax detection treats `.js` files without a type. `.cts`/`.cjs` files and node_modules are
// left alone; a CommonJS job (`module.exports = defineJob(…)`) stays CommonJS.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const detectable = /\.(?:ts|tsx|js|jsx)$/;
/** An `import`/`export` statement at the start of a line (comments and strings can fool it only in odd files). */
const esmSyntax = /^[ \t]*(?:import[\s{*'"]|export[\s{*])/m;

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (resolved.format !== 'commonjs' || !resolved.url.startsWith('file:')) return resolved;
  const { pathname } = new URL(resolved.url);
  if (!detectable.test(pathname) || pathname.includes('/node_modules/')) return resolved;
  let source;
  try {
    source = readFileSync(fileURLToPath(resolved.url), 'utf8');
  } catch {
    return resolved;
  }
  return esmSyntax.test(source) ? { ...resolved, format: 'module' } : resolved;
}
