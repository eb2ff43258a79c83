/**
 * CommonJS dependencies loaded on their first use instead of when weir is imported.
 *
 * Every thread of a job imports the whole package — the CLI, the coordinator, and each worker,
 * whose job module imports 'weir' — and kafkajs, prom-client, protobufjs, avsc and hdr-histogram-js
 * are about 280 files between them, most of a thread's module loading, while a job uses none of
 * them on most threads (docs/benchmarks.md, "Start-up"). Loaded through `require`, a CommonJS
 * package is the same module instance an `import` of it elsewhere gets: Node keeps one CommonJS
 * cache. A package with an ES module build of its own (lmdb, msgpackr) is not: an `import` gets
 * that build, a second instance (state/lmdb-module.ts says why that is harmless there).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A function returning the module `id` (a CommonJS package or file), loaded on the first call. */
export function lazyRequire<M>(id: string): () => M {
  let loaded: M | undefined;
  return () => (loaded ??= require(id) as M);
}
