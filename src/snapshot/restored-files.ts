// The files a worker's store was restored from: a type of its own, so that the runtime's restore
// types (and the package's declarations) do not reach the snapshot code and LMDB's.
/** A worker's state files in a checkpoint, in restore order, when they hold exactly its state. */
export interface RestoredFiles {
  /** `keys`: the entries a file restored, and the keys it deleted (a delta). */
  files: Array<{ absolutePath: string; name: string; bytes: number; sha256: string; keys: number }>;
}
