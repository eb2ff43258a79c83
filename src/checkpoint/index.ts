// Checkpoint storage: metadata, the checkpoint directory, and state snapshots.
export {
  metadataFormatVersion,
  validateMetadata,
  type CheckpointKind,
  type CheckpointMetadata,
  type CheckpointMetadataDraft,
  type JsonValue,
  type SinkNote,
  type SourcePosition,
  type StateFileRef,
} from './metadata.ts';
export {
  CheckpointStore,
  metadataFileName,
  type CheckpointListing,
  type CheckpointStoreOptions,
  type LatestValid,
  type SkippedCheckpoint,
  type VerifiedCheckpoint,
} from './checkpoint-store.ts';
export { keyGroupRangeOfWorker, type KeyGroupFilter, type KeyGroupRange } from './key-groups.ts';
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
