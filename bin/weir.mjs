#!/usr/bin/env node
// The `weir` command. Job files may be TypeScript: the loaders are registered before anything is
// imported. In this repository the command runs the sources; in an installed package (which ships
// no src/) the compiled JavaScript in dist/.
import { existsSync } from 'node:fs';

const fromSources = existsSync(new URL('../src/cli/main.ts', import.meta.url));
await import(fromSources ? '../src/loader/register.mjs' : '../dist/loader/register.mjs');
const { main } = await import(fromSources ? '../src/cli/main.ts' : '../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
