/**
 * Runs a test job in a process of its own, for tests that SIGKILL it: `node bin/run-ts.mjs
 * test/kafka/job-process.ts <job name> <RunOptions as JSON>`. Prints "running" once the job is
 * up, and runs until it is killed (or the job ends).
 */
import { run, type RunOptions } from '../../src/runtime/index.ts';

const [name, optionsJson] = process.argv.slice(2);
const handle = await run(new URL(`../jobs/${name}.ts`, import.meta.url), JSON.parse(optionsJson) as RunOptions);
await handle.ready;
console.log('running');
await handle.done;
