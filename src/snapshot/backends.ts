/**
 * State backends: each brings its store and its snapshot strategy, chosen once where the store is
 * opened (as Flink's CheckpointableKeyedStateBackend does), so that nothing in the runtime asks
 * which store it holds. A new backend is an object here and a line in `stateBackends`.
 *
 * A backend only ever sees stores it opened itself; the casts below rest on that.
 */
import { join } from 'node:path';
import type { DoorbellAddress } from '../channel/doorbell.ts';
import { HeapStore } from '../state/heap-store.ts';
import { openLmdbStore, type LmdbStore } from '../state/lmdb-store.ts';
import type { StateStore } from '../state/store.ts';
import { LmdbSnapshotter, type WrittenState } from './lmdb-snapshotter.ts';
import type { RestoredFiles } from './restored-files.ts';
import { snapshotLmdbStore, snapshotStoreStates, type SnapshotResult } from './state-snapshot.ts';

export type StateBackendKind = 'lmdb' | 'heap';

export interface StoreOpenOptions {
  /** Where a durable backend keeps its files (created empty; the heap backend ignores it). */
  path: string;
  /** Names an operator in errors from its state id. */
  operatorNameOf?: (state: string) => string;
}

/** How one worker takes its part of each checkpoint. */
export interface WorkerSnapshots {
  /** Settles when snapshots are taken where they should be (a thread of their own may still be starting). */
  readonly started: Promise<void>;
  /** Snapshots are written off the worker's thread now (they do not stall its loop). */
  readonly offThread: boolean;
  /** Snapshots `store` as of the call into checkpoint directory `dir`, file `name` (and whatever earlier files it links in). */
  snapshot(store: StateStore, dir: string, name: string): Promise<WrittenState>;
  /** The store was just restored from `files`: the next snapshot may build on them. */
  buildOn(files: RestoredFiles): void;
  /** Replies to take in poll() (a snapshot thread rang the worker's doorbell). */
  hasReplies(): boolean;
  poll(): void;
  /** A snapshot has waited for its thread longer than it should: the worker keeps turning its event loop. */
  overdue(): boolean;
  close(timeoutMs?: number): Promise<void>;
}

export interface StateBackend {
  readonly kind: StateBackendKind;
  /** Opens an empty store. */
  open(options: StoreOpenOptions): StateStore;
  /** A full snapshot of `store` as it is now, written on this thread. */
  snapshot(store: StateStore, file: string): Promise<SnapshotResult>;
  /** After a restore into `store`: what it wrote is the new base, not a change for the next incremental snapshot. */
  afterRestore(store: StateStore): void;
  /** The checkpoint strategy of worker `doorbell`'s store; started at once, so that a thread of its own loads while the worker opens. */
  workerSnapshots(doorbell: DoorbellAddress): WorkerSnapshots;
}

const fullFile = (name: string, r: SnapshotResult): WrittenState => ({ files: [{ name, bytes: r.bytes, sha256: r.sha256 }], writtenBytes: r.bytes, delta: false, merged: false });

/** The heap: every snapshot is a full copy of the Maps, written on the worker's thread. */
const heapBackend: StateBackend = {
  kind: 'heap',
  open: ({ operatorNameOf }) => new HeapStore({ operatorNameOf }),
  snapshot: (store, file) => snapshotStoreStates(store, (store as HeapStore).stateIds(), file, 'heap'),
  afterRestore: () => {},
  workerSnapshots: () => ({
    started: Promise.resolve(),
    offThread: false,
    snapshot: (store, dir, name) => heapBackend.snapshot(store, join(dir, name)).then((r) => fullFile(name, r)),
    buildOn: () => {},
    hasReplies: () => false,
    poll: () => {},
    overdue: () => false,
    close: () => Promise.resolve(),
  }),
};

/** LMDB: full snapshots and incremental deltas, written by a snapshot thread of the worker's own (lmdb-snapshotter.ts). */
const lmdbBackend: StateBackend = {
  kind: 'lmdb',
  open: (options) => openLmdbStore(options),
  snapshot: (store, file) => snapshotLmdbStore(store as LmdbStore, file),
  afterRestore: (store) => void (store as LmdbStore).takeChanges(),
  workerSnapshots: (doorbell) => {
    const snapshotter = new LmdbSnapshotter(doorbell);
    return {
      started: snapshotter.started,
      get offThread() {
        return snapshotter.ready;
      },
      snapshot: (store, dir, name) => snapshotter.snapshot(store as LmdbStore, dir, name),
      buildOn: (files) => snapshotter.buildOn(files),
      hasReplies: () => snapshotter.hasReplies(),
      poll: () => snapshotter.poll(),
      overdue: () => snapshotter.overdue(),
      close: (timeoutMs) => snapshotter.close(timeoutMs),
    };
  },
};

export const stateBackends: Readonly<Record<StateBackendKind, StateBackend>> = { heap: heapBackend, lmdb: lmdbBackend };
