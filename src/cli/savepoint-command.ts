import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CheckpointStore } from '../checkpoint/checkpoint-store.ts';
import { savepointNameProblem } from '../checkpoint/metadata.ts';
import { WeirError } from '../errors.ts';
import type { JobHandle } from '../runtime/run.ts';
import { commandHelp, numberFlag, parseCommand, UsageError } from './flags.ts';

export const savepointCommandSpec = {
  name: 'savepoint',
  summary: 'take a savepoint of the checkpointing job running on <state-dir>',
  positionals: [{ name: 'state-dir' }, { name: 'name' }],
  flags: { timeout: numberFlag('S', 'how long to wait for the savepoint (default 30)', { above: 0, unit: 'seconds' }) },
  notes: 'Exit codes: 0 the savepoint was taken (its path is printed); 1 it was not; 2 a usage error.',
};

export const checkpointsCommandSpec = {
  name: 'checkpoints',
  summary: 'list the checkpoints and savepoints in <state-dir>',
  positionals: [{ name: 'state-dir' }],
  flags: {},
  notes: 'Exit codes: 0 listed; 1 the state dir could not be read; 2 a usage error.',
};

export const savepointUsage = commandHelp(savepointCommandSpec);
export const checkpointsUsage = commandHelp(checkpointsCommandSpec);

/**
 * A running job and \`weir savepoint\` meet in the state directory: the command drops a request
 * file into \`<state-dir>/savepoint-requests/\`, the \`weir run\` process polls that folder, takes
 * the savepoint through its handle and removes the request; the command waits for the savepoint's
 * metadata to appear. No socket, no pid: the state directory already names the job.
 */
const requestsDir = (stateDir: string) => join(stateDir, 'savepoint-requests');
const pollMs = 200;

export async function savepointCommand(argv: string[]): Promise<number> {
  const { help, flags, positionals } = parseCommand(savepointCommandSpec, argv);
  if (help) return printHelp(savepointUsage);
  const [stateDir, name] = positionals;
  const problem = savepointNameProblem(name);
  if (problem) throw new UsageError(problem);
  const timeoutMs = (flags.timeout ?? 30) * 1000;
  mkdirSync(requestsDir(stateDir), { recursive: true });
  writeFileSync(join(requestsDir(stateDir), name), '');
  const metadata = join(resolve(stateDir), 'checkpoints', `savepoint-${name}`, '_metadata');
  for (const started = Date.now(); Date.now() - started < timeoutMs; await sleep(pollMs)) {
    if (existsSync(metadata)) {
      console.log(join(resolve(stateDir), 'checkpoints', `savepoint-${name}`));
      return 0;
    }
    if (!existsSync(join(requestsDir(stateDir), name))) break; // taken, failed or refused: the job reported why
  }
  if (existsSync(metadata)) return 0;
  rmSync(join(requestsDir(stateDir), name), { force: true });
  throw new WeirError('WEIR_CHECKPOINT', `no savepoint "${name}" appeared in ${stateDir} (is a checkpointing job running on this state dir? see its output)`);
}

export async function checkpointsCommand(argv: string[]): Promise<number> {
  const { help, positionals } = parseCommand(checkpointsCommandSpec, argv);
  if (help) return printHelp(checkpointsUsage);
  const [stateDir] = positionals;
  const store = await CheckpointStore.open(stateDir, { readOnly: true });
  for (const c of await store.list()) {
    const what = c.kind === 'savepoint' ? `savepoint ${c.savepointName} (id ${c.id ?? '?'})` : `checkpoint ${c.id}`;
    const when = c.createdAtMs ? new Date(c.createdAtMs).toISOString() : '';
    console.log(`${what.padEnd(36)} ${c.status.padEnd(12)} ${when} ${c.problem ?? ''}`.trimEnd());
  }
  return 0;
}

/** In `weir run`: takes the savepoints asked for in the state dir while the job runs. */
export function watchSavepointRequests(handle: JobHandle, quiet: boolean): { stop(): void } {
  const dir = requestsDir(handle.options.stateDir);
  let busy = false;
  const timer = setInterval(() => {
    if (busy || !existsSync(dir)) return;
    const [name] = readdirSync(dir);
    if (name === undefined) return;
    busy = true;
    handle
      .savepoint(name)
      .then(
        (s) => !quiet && console.error(`weir: savepoint "${name}" taken (checkpoint ${s.metadata.id}) in ${s.dir}`),
        (err: Error) => console.error(`weir: savepoint "${name}" failed: ${err.message}`),
      )
      .finally(() => {
        rmSync(join(dir, name), { force: true });
        busy = false;
      });
  }, pollMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

function printHelp(usage: string): number {
  console.log(usage);
  return 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
