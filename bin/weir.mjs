#!/usr/bin/env node
// The `weir` command. Job files may be TypeScript: the loader is registered before anything is imported.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
