/**
 * The URL of a sibling module in the layout the calling module runs from: `name.ts` in the source
 * tree (run through the TypeScript loader), `name.js` in the built package (dist/, plain Node).
 * Worker threads are started from such URLs, which the compiler does not rewrite as it does imports.
 */
export function siblingModule(name: string, baseUrl: string): URL {
  const extension = new URL(baseUrl).pathname.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`${name}${extension}`, baseUrl);
}
