/**
 * A running job and `weir savepoint` meet in the state directory, `<state-dir>/savepoint-requests/`:
 *
 *   .running.json     written by a checkpointing `weir run` while it watches for requests: its pid
 *                     and job name (so the command knows at once whether anyone will answer)
 *   <name>            a request, dropped by `weir savepoint`; removed by the job once handled
 *   .<name>.failed    the job's reason when it could not take the savepoint
 *
 * The command waits for the savepoint's metadata to appear. No socket: the state directory already
 * names the job. The pid check only works on the same machine, as the state dir's files do.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { WeirError } from '../errors.ts';
import type { JobHandle } from '../runtime/job/run.ts';

const requestsDir = (stateDir: string) => join(stateDir, 'savepoint-requests');
const ownerFileName = '.running.json';
const failedFileName = (name: string) => `.${name}.failed`;
const pollMs = 200;

interface Owner {
  pid: number;
  jobName: string;
}

/** Asks the job running on `stateDir` for savepoint `name` (a valid name) and waits for it: returns its directory. */
export async function requestSavepoint(stateDir: string, name: string, timeoutMs: number): Promise<string> {
  const dir = existingStateDir(stateDir);
  const savepointDir = join(dir, 'checkpoints', `savepoint-${name}`);
  if (existsSync(savepointDir)) throw new WeirError('WEIR_CONFIG', `savepoint "${name}" already exists: ${savepointDir} (choose another name, or delete it first)`);
  const owner = runningJob(dir);
  if (!owner) {
    throw new WeirError('WEIR_CHECKPOINT', `no checkpointing job is running on ${dir}: a savepoint is taken by the \`weir run … --checkpoint-interval MS\` process that uses this state dir`);
  }
  const requests = requestsDir(dir);
  const request = join(requests, name);
  const failed = join(requests, failedFileName(name));
  if (existsSync(request)) throw new WeirError('WEIR_CONFIG', `savepoint "${name}" is already being taken on ${dir}`);
  rmSync(failed, { force: true });
  writeFileSync(request, '');
  const metadata = join(savepointDir, '_metadata');
  for (const started = Date.now(); ; await sleep(pollMs)) {
    if (existsSync(metadata)) return savepointDir;
    if (existsSync(failed)) {
      const reason = readFileSync(failed, 'utf8').trim();
      rmSync(failed, { force: true });
      throw new WeirError('WEIR_CHECKPOINT', `job "${owner.jobName}" could not take savepoint "${name}": ${reason}`);
    }
    if (!existsSync(request)) {
      if (existsSync(metadata)) return savepointDir;
      throw new WeirError('WEIR_CHECKPOINT', `job "${owner.jobName}" dropped the request for savepoint "${name}" without taking it (see its output)`);
    }
    if (!isAlive(owner.pid)) {
      rmSync(request, { force: true });
      throw new WeirError('WEIR_CHECKPOINT', `job "${owner.jobName}" (pid ${owner.pid}) ended before taking savepoint "${name}"`);
    }
    if (Date.now() - started >= timeoutMs) {
      rmSync(request, { force: true });
      throw new WeirError('WEIR_CHECKPOINT', `job "${owner.jobName}" took no savepoint "${name}" within ${timeoutMs / 1000} s (is it stalled? see its output)`);
    }
  }
}

/** The absolute path of `stateDir`, which must be an existing directory. */
export function existingStateDir(stateDir: string): string {
  const dir = resolve(stateDir);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    throw new WeirError('WEIR_CONFIG', `no state dir at ${dir}`);
  }
  if (!isDirectory) throw new WeirError('WEIR_CONFIG', `${dir} is not a directory`);
  return dir;
}

/** The checkpointing `weir run` watching `stateDir` for savepoint requests, when its process is alive. */
export function runningJob(stateDir: string): Owner | undefined {
  let owner: Owner;
  try {
    owner = JSON.parse(readFileSync(join(requestsDir(stateDir), ownerFileName), 'utf8')) as Owner;
  } catch {
    return undefined;
  }
  return Number.isInteger(owner.pid) && isAlive(owner.pid) ? owner : undefined;
}

/** In `weir run`: takes the savepoints asked for in the state dir while the job runs. */
export function watchSavepointRequests(handle: JobHandle, quiet: boolean): { stop(): void } {
  const dir = requestsDir(handle.options.stateDir);
  const ownerFile = join(dir, ownerFileName);
  mkdirSync(dir, { recursive: true });
  writeFileSync(ownerFile, JSON.stringify({ pid: process.pid, jobName: handle.options.jobName } satisfies Owner));
  let busy = false;
  const timer = setInterval(() => {
    if (busy || !existsSync(dir)) return;
    const name = readdirSync(dir).find((entry) => !entry.startsWith('.'));
    if (name === undefined) return;
    busy = true;
    handle
      .savepoint(name)
      .then(
        (s) => !quiet && console.error(`weir: savepoint "${name}" taken (checkpoint ${s.metadata.id}) in ${s.dir}`),
        (err: Error) => {
          console.error(`weir: savepoint "${name}" failed: ${err.message}`);
          writeFileSync(join(dir, failedFileName(name)), err.message);
        },
      )
      .finally(() => {
        rmSync(join(dir, name), { force: true });
        busy = false;
      });
  }, pollMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      rmSync(ownerFile, { force: true });
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
