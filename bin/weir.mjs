#!/usr/bin/env node
// The `weir` command. Job files may be TypeScript: the loaders are registered before anything is imported.
import '../src/loader/register.mjs';

const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
