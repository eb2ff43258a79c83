// State snapshots: the files a worker's keyed state is written to and restored from.
export {
  snapshotLmdbEnvironment,
  snapshotLmdbStore,
  snapshotStoreStates,
  snapshotWorkerStore,
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
