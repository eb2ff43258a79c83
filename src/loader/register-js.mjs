// Registers only the hooks that load a job file written as an ES module as one wherever it is
// saved (job-format-hooks.mjs): what a JavaScript job needs. The installed package (compiled
// JavaScript) uses it for a `.js` job whose package.json does not say `"type": "module"`, so no
// thread pays for the TypeScript loader — about 0.35 s of CPU per thread, four threads for a
// two-worker job — unless the job is TypeScript (register.mjs then); `.mjs` and `.cjs` jobs need
// neither (job-loaders.ts). In the repository every thread runs TypeScript and uses register.mjs.
import { register as registerModuleHooks } from 'node:module';

registerModuleHooks('./job-format-hooks.mjs', import.meta.url);
