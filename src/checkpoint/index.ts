// The checkpoint directory: metadata, the store of checkpoints and savepoints, key groups.
// State snapshot files and the snapshot thread are in ../snapshot/.
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
