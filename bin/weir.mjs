#!/usr/bin/env node
// The `weir` command. Job files may be TypeScript: the loader is registered before anything is
// imported. In this repository the command runs the sources; in an installed package (which ships
// no src/) the compiled JavaScript in dist/.
import { existsSync } from 'node:fs';
import { register } from 'tsx/esm/api';

register();
const fromSources = existsSync(new URL('../src/cli/main.ts', import.meta.url));
const { main } = await import(fromSources ? '../src/cli/main.ts' : '../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
