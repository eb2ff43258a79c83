import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { limits } from '../limits.ts';
import { DiskSpaceGuard } from '../state/disk-space.ts';
import { stateBackends } from '../snapshot/backends.ts';
import { isStateful } from '../api/graph.ts';
import type { StateStore } from '../state/store.ts';
import type { ResolvedOptions } from './options.ts';
import { operatorUid, type Plan } from './plan.ts';

/**
 * Opens one worker's keyed-state store, shared by its keyed operators, with the job's state
 * backend (snapshot/backends.ts): LMDB in `<workDir>/state/worker-<w>`, or the heap. State starts
 * empty (a restore fills it afterwards): a previous run's files in the same work dir are not state
 * of this run, so they are removed. Errors name operators, not state ids.
 */
export function openWorkerStateStore(plan: Plan, options: ResolvedOptions, worker: number): StateStore {
  const names = new Map(plan.graph.nodes.map((node) => [operatorUid(node), node.name]));
  // State ids are `${uid}/${name}` (timers: `${uid}/__timers/${domain}`): the uid is before the first '/'.
  const operatorNameOf = (state: string) => names.get(state.slice(0, state.indexOf('/'))) ?? state;
  const path = join(options.workDir, 'state', `worker-${worker}`);
  rmSync(path, { recursive: true, force: true });
  return stateBackends[options.stateBackend].open({ path, operatorNameOf });
}

/**
 * On the main thread, before any worker starts: a work dir whose filesystem lacks the free space
 * an LMDB store keeps (limits.stateFreeBytesMin) fails the run at once with WEIR_STATE. Each store
 * checks again when it opens, and before every write (disk-space.ts).
 */
export function checkStateDiskSpace(plan: Plan, options: ResolvedOptions): void {
  if (options.stateBackend !== 'lmdb' || !plan.graph.nodes.some(isStateful)) return;
  new DiskSpaceGuard(join(options.workDir, 'state'), limits.stateFreeBytesMin);
}
