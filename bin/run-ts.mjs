#!/usr/bin/env node
// Runs a TypeScript entry point as it is: registers the module loaders (TypeScript, and job files
// as ES modules wherever they are saved) for this thread; worker threads register their own.
import '../src/loader/register.mjs';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: run-ts.mjs <file.ts> [args…]');
  process.exit(2);
}
process.argv = [process.argv[0], resolve(entry), ...args];
await import(pathToFileURL(resolve(entry)).href);
