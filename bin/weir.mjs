#!/usr/bin/env node
// The `weir` command. In this repository it runs the TypeScript sources (the loaders registered
// before anything is imported); in an installed package (which ships no src/) the compiled
// JavaScript in dist/. Job files may be TypeScript either way (api/job.ts registers the loader).
import { existsSync } from 'node:fs';

const fromSources = existsSync(new URL('../src/cli/main.ts', import.meta.url));
// The compiled command needs no loader for itself; loading a job registers what it needs.
if (fromSources) await import('../src/loader/register.mjs');
const { main } = await import(fromSources ? '../src/cli/main.ts' : '../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
