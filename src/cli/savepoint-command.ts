import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { CheckpointStore, type CheckpointListing } from '../checkpoint/checkpoint-store.ts';
import { savepointNameProblem } from '../checkpoint/metadata.ts';
import { WeirError } from '../errors.ts';
import { requestSavepoint, runningJob } from './savepoint-requests.ts';

export { watchSavepointRequests } from './savepoint-requests.ts';

export const savepointUsage = `weir savepoint <state-dir> <name> [--timeout S]
                                         take a savepoint of the checkpointing job running on <state-dir>
weir checkpoints <state-dir>             list its checkpoints and savepoints`;

export async function savepointCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { timeout: { type: 'string' } } });
  const [stateDir, name] = positionals;
  if (!stateDir || !name) throw new WeirError('WEIR_CONFIG', `usage: ${savepointUsage}`);
  const problem = savepointNameProblem(name);
  if (problem) throw new WeirError('WEIR_CONFIG', problem);
  const timeoutMs = Number(values.timeout ?? 30) * 1000;
  // Checked before anything is written: the state dir exists, the name is free, a job is there to take it.
  console.log(await requestSavepoint(stateDir, name, timeoutMs));
  return 0;
}

export async function checkpointsCommand(argv: string[]): Promise<number> {
  const [stateDir] = argv;
  if (!stateDir) throw new WeirError('WEIR_CONFIG', `usage: ${savepointUsage}`);
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
