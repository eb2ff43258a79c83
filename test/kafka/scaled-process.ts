/**
 * One scale-out member in a process of its own, for tests that run several and SIGKILL some:
 * `node bin/run-ts.mjs test/kafka/scaled-process.ts <job name> <ScaleOutOptions as JSON>`.
 * Prints one JSON line per assignment ({ assigned, generationId, atMs }), then, once the job on it
 * is up, { running, generationId }. SIGTERM stops it as stop() does (final checkpoint, leave the
 * group) and prints { stopped }; SIGKILL is the crash the tests are about.
 */
import { runScaledOut, type ScaleOutOptions } from '../../src/scale-out/scale-out.ts';

const [name, optionsJson] = process.argv.slice(2);
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
const options = JSON.parse(optionsJson) as ScaleOutOptions;
const member = await runScaledOut(new URL(`../jobs/${name}.ts`, import.meta.url), {
  ...options,
  onAssignment: (a) => say({ assigned: a.partitions, generationId: a.generationId, atMs: Date.now() }),
});
// Says when the job on each assignment has passed its start gate.
let announced = -1;
const watch = setInterval(() => {
  const a = member.assignment();
  const job = member.job();
  if (a === undefined || job === undefined || a.generationId === announced) return;
  const generationId = a.generationId;
  announced = generationId;
  void job.ready.then(() => say({ running: a.partitions, generationId }), () => {});
}, 20);
process.once('SIGTERM', () => {
  clearInterval(watch);
  void member.stop().then(() => {
    say({ stopped: true });
    process.exit(0);
  });
});
await member.done.catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
