import { internalError } from './errors.ts';

/**
 * Every limit weir enforces, in one place. Units are last in the names.
 * Code that depends on one of these asserts it rather than assuming it.
 */
export const limits = {
  /** Default bytes of frame data in one single-producer/single-consumer ring. Power of two. */
  ringCapacityBytes: 1 << 20,
  /** Smallest and largest ring the runtime accepts. */
  ringCapacityBytesMin: 1 << 12,
  ringCapacityBytesMax: 1 << 28,
  /** A frame may take at most this fraction of a ring (1/4): a larger record is rejected with WEIR_RECORD_TOO_LARGE. */
  frameFractionOfRingMax: 4,
  /** Bytes of a data frame that are not the record: the frame header (8) and the record's metadata (32). */
  frameRecordOverheadBytes: 40,
  /** A frame's payload length field is 24 bits: no frame is larger than this, whatever the ring. */
  frameBytesMax: 1 << 24,
  /** Records a source is asked for per poll; also the most frames published at once. */
  sourceBatchRecordsMax: 512,
  /**
   * Records a worker's channel to itself holds (local-channel.ts) before its sender waits, as at a
   * full ring, until half are read: about what a ring of ringCapacityBytes holds of 128-byte records.
   * It also waits when the records would take more than its ring's capacity as frames.
   */
  localChannelRecordsMax: 8192,
  /**
   * Pre-aggregation: partial aggregates (key × pane) a worker holds for one exchange at most; at
   * this many it sends them all early, which is always correct, only less combined.
   */
  preAggregationPartialsMax: 16_384,
  /** keyBy's combine: keys a worker holds for one exchange at most (then it sends them all), and how long a record waits there by default (KeyByOptions.combineDelayMs, at most combineDelayMsMax). */
  combineKeysMax: 16_384,
  combineDelayMsDefault: 100,
  combineDelayMsMax: 60_000,
  /** keyBy's combine: every this many records it checks that at least one in combineFoldsMin was folded; if not, the next combineBypassRecords go as themselves (combiner.ts). */
  combineCheckRecords: 16_384,
  combineFoldsMin: 4,
  combineBypassRecords: 262_144,
  /** mapAsync: requests in flight per worker by default (Flink's AsyncDataStream capacity), and the most an operator may set. */
  asyncCapacityDefault: 100,
  asyncCapacityMax: 100_000,
  /** mapAsync: the default per-attempt timeout (Flink's is required; ours defaults to this). */
  asyncTimeoutMsDefault: 10_000,
  /** mapAsync retry: attempts in all at most, and the default first backoff and its growth per attempt. */
  asyncAttemptsMax: 100,
  asyncBackoffMsDefault: 100,
  asyncBackoffMultiplierDefault: 2,
  asyncBackoffMsMaxDefault: 10_000,
  /** Spin iterations before a waiting thread parks on its doorbell. */
  spinIterationsBeforePark: 200,
  /** A parked thread wakes at least this often to look at control flags (stop, abort). */
  parkTimeoutMs: 50,
  /** Key groups: the unit of key → worker routing (and later of state redistribution). */
  keyGroupsDefault: 128,
  keyGroupsMax: 32768,
  /** Worker threads one job may use. */
  parallelismMax: 64,
  /**
   * Threads of finished job attempts kept idle for the next job of the process (job/thread-pools.ts):
   * room for a few small jobs' pools (a two-worker job keeps three); a larger pool is not kept.
   */
  idleThreadsMax: 12,
  /** Micro-batch trigger and the records one batch may take per partition. */
  microBatchIntervalMsDefault: 100,
  microBatchRecordsMaxDefault: 100_000,
  /**
   * Continuous mode: sinks are flushed when a worker goes idle and at least this often while it is
   * busy (default of JobSettings.sinkFlushIntervalMs; a job may set 0 … sinkFlushIntervalMsMax).
   */
  sinkFlushIntervalMs: 50,
  sinkFlushIntervalMsMax: 60_000,
  /** resultsSink: records per batch a subtask posts to the main thread (default). */
  resultsBatchRecordsDefault: 256,
  /** resultsSink: batches of a subtask posted and not yet taken by the consumer before the subtask waits (default). */
  resultsBatchesInFlightDefault: 4,
  /** Metrics are refreshed in shared memory this often by each worker. */
  metricsIntervalMs: 100,
  /** A state query the owning worker has not answered within this fails with WEIR_QUERY_UNAVAILABLE (a worker blocked by backpressure answers late). */
  stateQueryTimeoutMs: 10_000,
  /** Entries a map-state query answers at most (its `limit` may ask for fewer). */
  stateQueryEntriesMax: 10_000,
  /** Completed checkpoints metrics().checkpoints.history keeps (the web UI's checkpoint history). */
  checkpointHistoryMax: 30,
  /** Keyed state: entries the write-back cache in front of LMDB holds per worker before it evicts (writes back) the coldest. */
  stateCacheEntriesMax: 200_000,
  /**
   * Keyed state: bits of the filter of keys a worker's LMDB store has written (1 MiB), which spares
   * a read of LMDB for a key it never wrote. With 3 hashes a key never written is looked up anyway
   * (a false positive) ~1 % of the time at 700 K keys written, ~15 % at 2 M.
   */
  stateWrittenKeysBits: 1 << 23,
  /**
   * Keyed state: dirty entries an idle worker writes back to LMDB per idle round (~1.3 µs each),
   * so a checkpoint's flush finds few. Only when idle: paced write-backs while busy (tried: 500
   * every 5 ms) cost a saturated job ~25 % of its throughput — entries written early are often
   * changed and written again.
   */
  stateIdleWriteBackEntries: 500,
  /**
   * Keyed state: an idle round writes back only once at least this many entries are dirty. Under
   * a steady trickle of input a worker is "idle" between nearly every two records, and wrote back
   * the one or two entries just changed in an LMDB transaction of their own; what stays below this
   * costs a flush well under a millisecond. (Idle write-backs happen only when a flush is coming:
   * checkpoints or micro-batch epochs; worker.ts writeStateBack.)
   */
  stateIdleWriteBackEntriesMin: 100,
  /**
   * Keyed state: free bytes an LMDB store keeps on its filesystem. It does not open, and refuses a
   * write, below this (WEIR_STATE naming the directory): lmdb-js kills the process (SIGBUS) when
   * its memory-mapped file meets a full disk (src/state/disk-space.ts).
   */
  stateFreeBytesMin: 64 * 1024 * 1024,
  /** Keyed state: the LMDB map size per worker (virtual; the file grows as needed up to it). */
  lmdbMapSizeBytesDefault: 4 * 1024 * 1024 * 1024,
  /** Keyed state: entries one background TTL cleanup step looks at (per flush / idle round). */
  ttlCleanupEntriesPerStep: 1_000,
  /**
   * Continuous top-N: the shards a ranking is computed in before its one merge (a key's shard is a
   * hash of it). Fixed: shards are keys of checkpointed state, so changing it would split a key's
   * score over two shards of a restored job. The merge holds n entries per shard.
   */
  rankingShards: 32,
  /**
   * CEP: keys whose buffer, runs and events an operator holds in memory between flushes
   * (src/cep/cep-held-keys.ts). Past it, every held change is put into keyed state and the keys
   * are let go, so a job with many keys and rare checkpoints does not hold them all.
   */
  cepHeldKeysMax: 100_000,
  /**
   * CEP, event time: a record that starts no match, on a key with nothing open, is fed to the NFA
   * (where it changes nothing) this long after its timestamp rather than at it, with the key's
   * other records — so a quiet key is taken out of the due queue once per this much event time,
   * not once per record. Larger: fewer rounds, more records held per key (up to this much event
   * time's worth more than the watermark's bound; 5 s, about a typical bound, at most doubles it).
   * On the CEP benchmark 2 s and 10 s cost the same CPU. Records that could start a match, and
   * every record while a match is open, are fed at their time.
   */
  cepQuietKeyDelayMs: 5_000,
  /** Timers one keyed operator may hold per worker (a timer per key per timestamp). */
  timersMax: 10_000_000,
  /** Event time: a timestamp further than this ahead of the wall clock is rejected as bad (default; per source configurable). */
  timestampFutureMsMax: 365 * 24 * 3600 * 1000,
  /** Event time: a partition with no record for this long stops holding the watermark back (default when a strategy sets idleness without a value). */
  idlenessMsDefault: 1_000,
  /**
   * Event time: watermark alignment's default drift — a partition more than this ahead of the
   * slowest of its source pauses. A fixed event-time span rather than a multiple of the
   * out-of-orderness bound (which is 0 for monotonous timestamps): wide enough that partitions
   * read in step (a generator's, a replayed log's) never pause, narrow enough that a partition
   * racing ahead cannot pile up minutes of open windows and timers (docs/event-time.md).
   */
  watermarkAlignmentDriftMsDefault: 30_000,
  /** Event time: how often a worker whose partitions are all paused by alignment looks again (default). */
  watermarkAlignmentUpdateIntervalMs: 10,
  /** The coordinator samples sink throughput this often (the report's throughput over time). */
  throughputSampleIntervalMs: 1000,
  /** Completed checkpoints kept in `<stateDir>/checkpoints/` (older ones are deleted once a newer one completes; savepoints are never). */
  checkpointsRetainedDefault: 3,
  /**
   * Incremental snapshots: the log of keys an LMDB store changed between two checkpoints starts
   * at the first size and is given up (the next snapshot is full) past the second (~30 bytes a key).
   */
  changeLogBytesInitial: 64 * 1024,
  changeLogBytesMax: 64 * 1024 * 1024,
  /**
   * Incremental snapshots: a worker's state is a full snapshot followed by deltas. Once there are
   * this many deltas, or the keys they changed pass this fraction of the full snapshot's entries,
   * the chain is merged into a new full snapshot in the background (snapshot-merge.ts), while
   * deltas go on. Bounds the files a restore reads and the dead versions they hold.
   */
  snapshotDeltasBeforeMerge: 10,
  snapshotDeltaKeysFractionBeforeMerge: 0.5,
  /**
   * A chain that grows past either of these (a merge that cannot keep up, or keeps failing) is
   * given up: the next snapshot is a full one, read from LMDB.
   */
  snapshotDeltasMax: 30,
  snapshotDeltaKeysFractionMax: 1.5,
  /**
   * A merge rests this many times as long as each of its steps worked: on two cores, one busy
   * worker and a merge at full speed left the worker behind (docs/checkpoints.md).
   */
  snapshotMergeRestRatio: 2,
  /**
   * A worker takes its snapshot thread's replies without turning its event loop; a snapshot with
   * no reply for this long makes it turn the loop each round, so that the thread's exit or error
   * (events on that loop) fails the snapshot instead of leaving it pending.
   */
  snapshotReplyPatienceMs: 5_000,
  /** How long a worker waits for its snapshot thread to open the read transaction of a snapshot. */
  snapshotPinTimeoutMs: 10_000,
  /**
   * How long an exiting worker thread waits for its snapshot thread to leave the lmdb call it is
   * in (snapshot/exit-parking.ts): one page of a snapshot's read, a few ms.
   */
  snapshotParkOnExitMs: 1_000,
  /** The shortest checkpoint interval accepted: a checkpoint costs a state snapshot and an fsync of its files. */
  checkpointIntervalMsMin: 10,
  /** When a job checkpoints and names no restart strategy (Flink restarts without limit; weir gives up after a few tries). */
  restartStrategyDefault: { kind: 'fixed-delay', attempts: 3, delayMs: 200 },
  /**
   * A worker whose sources or sinks do network I/O on its own event loop (Kafka) lets that loop
   * run at least this often even while it has records to process: I/O callbacks (fetch
   * responses) only run when the worker's loop yields.
   */
  eventLoopYieldIntervalMs: 10,
  /** Kafka: TCP connect and per-request timeouts (defaults; per connector configurable). */
  kafkaConnectionTimeoutMs: 3_000,
  kafkaRequestTimeoutMs: 30_000,
  /**
   * How long a Kafka source or sink retries a broker it cannot reach (connecting at open, a
   * fetch, a send) before it fails (default of the connectors' retryTimeoutMs): minutes, so a
   * broker restart does not spend the job's restart budget (connection-retry.ts).
   */
  kafkaRetryTimeoutMsDefault: 5 * 60_000,
  /** A connector in an outage logs a retry at most this often (and its first and its recovery). */
  connectionRetryLogIntervalMs: 10_000,
  /** Kafka source: records buffered per partition between the network and poll(); at this many the partition stops fetching (paused). */
  kafkaSourceBufferRecordsMax: 50_000,
  /** Kafka source: bytes of record values buffered per partition before it stops fetching. */
  kafkaSourceBufferBytesMax: 32 * 1024 * 1024,
  /** Kafka source: bytes one fetch may return for a partition (Kafka's max.partition.fetch.bytes). */
  kafkaFetchBytesMax: 4 * 1024 * 1024,
  /** Kafka source: how long a fetch waits at the broker for new records (long poll; Kafka's fetch.max.wait.ms). */
  kafkaFetchWaitMs: 100,
  /** Kafka source: back-off after a failed fetch (doubling up to the max) while the broker is unreachable. */
  kafkaRetryBackoffMs: 100,
  kafkaRetryBackoffMsMax: 2_000,
  /** Retries of a transaction request the coordinator answers "busy, ask again" (CONCURRENT_TRANSACTIONS, loading): ~20 s with back-off. */
  kafkaCoordinatorBusyRetries: 15,
  /** Kafka sink: records buffered per subtask before a send starts without waiting for flush(). */
  kafkaSinkBufferRecordsMax: 10_000,
  /**
   * Kafka sinks: bytes of records per send (send-chunks.ts). A send is one record batch per
   * partition and brokers refuse a batch over message.max.bytes, 1 MiB by default; half of that
   * leaves room for the batch's framing and for a broker configured a little lower.
   */
  kafkaSendBytesMax: 512 * 1024,
  /** Kafka exactly-once sink: transactional ids per subtask (one open transaction + those pre-committed but not yet committed). */
  kafkaTransactionalIdsPerSubtask: 3,
  /** Kafka exactly-once sink: default transaction timeout; must exceed the checkpoint interval plus a recovery. */
  kafkaTransactionTimeoutMsDefault: 15 * 60_000,
  /** Schema registry: timeout of one HTTP request (registering a schema, fetching one by id). */
  schemaRegistryRequestTimeoutMs: 10_000,
  /** Schema registry: the 5-byte header of the Confluent wire format (magic byte 0, 4-byte big-endian schema id). */
  confluentWireHeaderBytes: 5,
} as const;

/**
 * The largest encoded record an exchange (keyBy) carries with rings of `ringCapacityBytes`: one
 * frame, at most 1/frameFractionOfRingMax of the ring, less the frame's overhead (262 104 bytes
 * with the default 1 MiB ring). Larger records are refused where they enter: a jsonLinesSource
 * line longer than this (its default maxLineBytes) is dead-lettered by the source; a larger record
 * reaching a keyBy is WEIR_RECORD_TOO_LARGE there, under that operator's error policy.
 */
export function exchangeRecordBytesMax(ringCapacityBytes: number): number {
  return Math.min(ringCapacityBytes / limits.frameFractionOfRingMax, limits.frameBytesMax) - limits.frameRecordOverheadBytes;
}

/**
 * Checks one of weir's own invariants. A failure is a bug in weir (WEIR_INTERNAL, naming the thread
 * and `invariant`): the worker raises the job's abort flag for it like for any real failure.
 * The message is built before the call, whether the check fails or not: on a path taken per record
 * or per window, write `if (!condition) throw internalError(…)` instead (a template string with
 * numbers in it cost a sliding window's partial aggregate ~2 µs).
 */
export function assert(condition: unknown, invariant: string): asserts condition {
  if (!condition) throw internalError(invariant);
}
