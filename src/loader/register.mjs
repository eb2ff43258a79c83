// Registers the module loaders a thread of weir needs: TypeScript (tsx), and the hooks that load a
// job file written as an ES module as one wherever it is saved (job-format-hooks.mjs). Every entry
// point imports this first: the CLI, run-ts, and each worker thread (threads do not inherit hooks).
import { register as registerModuleHooks } from 'node:module';
import { register as registerTypeScript } from 'tsx/esm/api';

registerTypeScript();
// Registered last, so it runs first and sees the format tsx's resolve decided.
registerModuleHooks('./job-format-hooks.mjs', import.meta.url);
