import { dirname } from 'node:path';
import { CheckpointStore, type CheckpointListing } from '../checkpoint/checkpoint-store.ts';
import { savepointNameProblem } from '../checkpoint/metadata.ts';
import { commandHelp, numberFlag, parseCommand, UsageError } from './flags.ts';
import { requestSavepoint, runningJob } from './savepoint-requests.ts';

export { watchSavepointRequests } from './savepoint-requests.ts';

export const savepointCommandSpec = {
  name: 'savepoint',
  summary: 'take a savepoint of the checkpointing job running on <state-dir>',
  positionals: [{ name: 'state-dir' }, { name: 'name' }],
  flags: { timeout: numberFlag('S', 'how long to wait for the savepoint (default 30)', { above: 0, unit: 'seconds' }) },
  notes: 'It fails at once when the state dir is missing, the name is taken or no checkpointing job runs\nthere; otherwise it waits for the savepoint, or prints why the job could not take it.\nExit codes: 0 the savepoint was taken (its path is printed); 1 it was not (the reason is printed); 2 a usage error.',
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

export async function savepointCommand(argv: string[]): Promise<number> {
  const { help, flags, positionals } = parseCommand(savepointCommandSpec, argv);
  if (help) return printHelp(savepointUsage);
  const [stateDir, name] = positionals;
  const problem = savepointNameProblem(name);
  if (problem) throw new UsageError(problem);
  const timeoutMs = (flags.timeout ?? 30) * 1000;
  // Checked before anything is written: the state dir exists, the name is free, a job is there to take it.
  console.log(await requestSavepoint(stateDir, name, timeoutMs));
  return 0;
}

export async function checkpointsCommand(argv: string[]): Promise<number> {
  const { help, positionals } = parseCommand(checkpointsCommandSpec, argv);
  if (help) return printHelp(checkpointsUsage);
  const [stateDir] = positionals;
  const store = await CheckpointStore.open(stateDir, { readOnly: true });
  const listings = await store.list();
  if (listings.length === 0) {
    console.log(`no checkpoints or savepoints in ${store.dir}`);
    return 0;
  }
  // Without a job writing to the state dir, a checkpoint without metadata was abandoned by one that stopped.
  const writing = runningJob(dirname(store.dir));
  for (const c of listings) console.log(formatListing(c, writing !== undefined));
  return 0;
}

function formatListing(c: CheckpointListing, jobRunning: boolean): string {
  const what = c.kind === 'savepoint' ? `savepoint ${c.savepointName} (id ${c.id ?? '?'})` : `checkpoint ${c.id}`;
  const when = c.createdAtMs ? new Date(c.createdAtMs).toISOString() : '';
  const job = c.jobName === undefined ? '' : `job "${c.jobName}"`;
  if (c.status === 'in-progress') {
    const status = jobRunning ? 'in progress (being written by the running job)' : 'incomplete (never completed: removed when a job next starts on this state dir)';
    return `${what.padEnd(36)} ${status}`;
  }
  return `${what.padEnd(36)} ${c.status.padEnd(9)} ${job.padEnd(24)} ${when} ${c.problem ?? ''}`.trimEnd();
}

function printHelp(usage: string): number {
  console.log(usage);
  return 0;
}
