// State snapshots: the files a worker's keyed state is written to and restored from.
export {
  snapshotLmdbEnvironment,
  snapshotLmdbStore,
  snapshotStoreStates,
  type SnapshotResult,
} from './state-snapshot.ts';
export {
  readSnapshotSummary,
  restoreHeapStore,
  restoreIntoStore,
  restoreLmdbStore,
  type RestoreOptions,
  type RestoreResult,
  type SnapshotSummary,
} from './state-restore.ts';
export { stateBackends, type StateBackend, type StateBackendKind, type WorkerSnapshots } from './backends.ts';
