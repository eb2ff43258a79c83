import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CheckpointStore } from '../checkpoint/checkpoint-store.ts';
import { savepointNameProblem } from '../checkpoint/metadata.ts';
import { WeirError } from '../errors.ts';
import type { JobHandle } from '../runtime/run.ts';

export const savepointUsage = `weir savepoint <state-dir> <name> [--timeout S]
                                         take a savepoint of the checkpointing job running on <state-dir>
weir checkpoints <state-dir>             list its checkpoints and savepoints`;

/**
 * A running job and \`weir savepoint\` meet in the state directory: the command drops a request
 * file into \`<state-dir>/savepoint-requests/\`, the \`weir run\` process polls that folder, takes
 * the savepoint through its handle and removes the request; the command waits for the savepoint's
 * metadata to appear. No socket, no pid: the state directory already names the job.
 */
const requestsDir = (stateDir: string) => join(stateDir, 'savepoint-requests');
const pollMs = 200;

export async function savepointCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { timeout: { type: 'string' } } });
  const [stateDir, name] = positionals;
  if (!stateDir || !name) throw new WeirError('WEIR_CONFIG', `usage: ${savepointUsage}`);
  const problem = savepointNameProblem(name);
  if (problem) throw new WeirError('WEIR_CONFIG', problem);
  const timeoutMs = Number(values.timeout ?? 30) * 1000;
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
  const [stateDir] = argv;
  if (!stateDir) throw new WeirError('WEIR_CONFIG', `usage: ${savepointUsage}`);
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

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
