/**
 * The exactly-once Kafka sink: Kafka transactions driven by weir's two-phase commit.
 *
 * Each subtask owns a small pool of transactional ids, `${sinkUid}-${subtask}-${i}` for
 * i < limits.kafkaTransactionalIdsPerSubtask: stable across restarts, so a restarted job finds
 * (and fences) what its predecessor left. One id holds the open transaction records go into; the
 * others hold transactions pre-committed at a checkpoint and waiting for it to complete.
 *
 *   write()           buffers the record
 *   flush()           sends the buffer into the open transaction (durable in Kafka, invisible
 *                     to read_committed consumers)
 *   preCommit(c)      flush(); with offsetsInTransaction, the source positions of the cut go
 *                     into the transaction as the group's offsets (TxnOffsetCommit); the open
 *                     transaction becomes checkpoint c's; the note stored in the checkpoint lists
 *                     { transactionalId, producerId, producerEpoch } of every transaction
 *                     pre-committed and not yet committed — c's and those of earlier checkpoints
 *                     whose commit has not run yet; the next record opens a transaction on the
 *                     next free id
 *   commit(c)         EndTxn(commit) for every transaction pre-committed at a checkpoint ≤ c, then
 *                     InitProducerId on its id: the next transaction there has a new epoch, so a
 *                     recovery that commits c's note again cannot commit it
 *   open(recovery)    first commits the transactions in the notes of the checkpoint it resumes
 *                     from (EndTxn with the noted producer id and epoch — the checkpoint
 *                     completed, so they must become visible even if the crash came before
 *                     commit()), then initialises every id of its pool (InitProducerId), which
 *                     on a real broker aborts whatever else a previous run left open and fences
 *                     its zombie producers.
 *   close()           aborts the open transaction (records after the last checkpoint are
 *                     replayed by the sources); pre-committed ones stay for recovery to commit.
 *
 * Kafka has no "prepared" transaction state that another producer may commit later: committing
 * after a restart works by presenting the old producer id and epoch to the transaction
 * coordinator (as Flink's KafkaSink does through the Java client's internals). It succeeds as
 * long as the transaction is still open — that is, until transaction.timeout.ms has passed since
 * it began. So the guarantee is exactly-once provided every checkpoint completes, and every
 * failed job restarts, within the transaction timeout; past it, the broker aborts the
 * transaction and those records are lost (reported, see result().recoveredMissing).
 */
import { WeirError } from '../../errors.ts';
import { limits } from '../../limits.ts';
import type { JsonValue, PreCommitContext, SinkContext, SinkWriter } from '../types.ts';
import { kafkaCluster, kafkaError, kafkajs, kafkaLogLevel, withKafkaRetries } from './connection.ts';
import { coordinatorType, createTransactionalProducer, type Cluster, type ProducerMessage, type TransactionalProducer } from './kafkajs-internals.ts';
import type { KafkaSinkOptions, RecordMaker } from './sink.ts';
import { sendChunks } from './send-chunks.ts';

/** One pre-committed transaction: enough to commit it from another process. */
export interface KafkaTransactionNote {
  transactionalId: string;
  producerId: string;
  producerEpoch: number;
  /** The checkpoint it was pre-committed at. */
  checkpointId: number;
}

/**
 * What preCommit returns and the checkpoint keeps: every transaction pre-committed and not yet
 * committed at the cut, oldest first. Not only the cut's own: a worker may take part in
 * checkpoint c+1 before it has run commit(c) (both are in its loop, and the snapshot comes
 * first), and when commit(c) then fails — the broker is down — c+1 may still complete. A restart
 * resumes from c+1; had its note named only c+1's transaction, c's would be aborted by the
 * InitProducerId of open(), and its records, which the sources do not replay, lost.
 */
export interface KafkaSinkNote {
  transactions: KafkaTransactionNote[];
}

/** The transactions of a stored note: a KafkaSinkNote's, or the one of a note written before the list (a bare KafkaTransactionNote). */
function notedTransactions(note: KafkaSinkNote | KafkaTransactionNote): KafkaTransactionNote[] {
  return 'transactions' in note ? note.transactions : [note];
}

/** Coordinator answers to a recovery commit meaning "that transaction is no longer open" (committed before, or aborted by timeout). */
const alreadyEnded = new Set(['INVALID_TXN_STATE', 'INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'INVALID_PRODUCER_ID_MAPPING', 'TRANSACTIONAL_ID_NOT_FOUND']);

/**
 * Coordinator answers that mean "ask again in a moment". CONCURRENT_TRANSACTIONS comes when a
 * transaction begins on an id whose previous transaction the coordinator is still completing
 * (EndTxn returns before the commit markers are written): the Java client retries it, and kafkajs
 * does for AddPartitionsToTxn but not for the AddOffsetsToTxn of sendOffsets.
 */
const coordinatorBusy = new Set(['CONCURRENT_TRANSACTIONS', 'COORDINATOR_LOAD_IN_PROGRESS', 'COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR']);

async function retryCoordinatorBusy<R>(request: () => Promise<R>): Promise<R> {
  for (let attempt = 0, backoffMs = limits.kafkaRetryBackoffMs / 5; ; attempt++, backoffMs = Math.min(backoffMs * 2, limits.kafkaRetryBackoffMsMax)) {
    try {
      return await request();
    } catch (err) {
      if (!coordinatorBusy.has((err as { type?: string }).type ?? '') || attempt >= limits.kafkaCoordinatorBusyRetries) throw err;
      await new Promise((r) => setTimeout(r, backoffMs));
    }
  }
}

interface Slot {
  producer: TransactionalProducer;
  /** undefined: idle; -1: the open transaction; ≥ 0: pre-committed at that checkpoint. */
  checkpointId: number | undefined;
  /** Pre-committed: its note (the producer id and epoch it was written under). */
  note?: KafkaTransactionNote;
}

export class TransactionalWriter<T> implements SinkWriter<T> {
  private pending: ProducerMessage[] = [];
  private current: Slot | undefined;
  private records = 0;
  private committed = 0;
  private recoveredCommitted = 0;
  private recoveredMissing = 0;
  /** offsetsInTransaction: the offset last sent per partition (an aborted transaction fails the job, whose restart opens a new writer). */
  private readonly sentOffsets = new Map<number, number>();

  static async open<T>(opts: KafkaSinkOptions<T>, who: string, maker: RecordMaker<T>, ctx: SinkContext): Promise<TransactionalWriter<T>> {
    const cluster = kafkaCluster(opts, 1);
    const timeoutMs = opts.transactionTimeoutMs ?? limits.kafkaTransactionTimeoutMsDefault;
    const make = (id: string) => createTransactionalProducer(cluster, kafkaLogLevel(opts), id, timeoutMs, kafkajs().Partitioners.DefaultPartitioner());
    const writer = new TransactionalWriter<T>(cluster, who, maker, [], opts.offsetsInTransaction);
    try {
      // A broker that cannot be reached yet is retried here (retryTimeoutMs), not by restarting the job.
      maker.numPartitions = await withKafkaRetries(
        opts,
        `${who}: open`,
        async () => {
          await cluster.connect();
          await cluster.addTargetTopic(maker.topic);
          return cluster.findTopicPartitionMetadata(maker.topic).length;
        },
        (err) => kafkaError('WEIR_SINK', `${who}: cannot connect`, err),
      );
      if (maker.numPartitions === 0) throw new WeirError('WEIR_CONFIG', `${who}: topic ${maker.topic} has no partitions (does it exist?)`);
      const mine = (ctx.recovery?.notes ?? []).filter((n) => n.subtask % ctx.parallelism === ctx.subtask);
      for (const { note } of mine) {
        if (note === null) continue;
        for (const transaction of notedTransactions(note as unknown as KafkaSinkNote)) await writer.commitNoted(transaction);
      }
      // Every id this subtask may have used, its own and those of subtasks of an earlier, larger
      // parallelism that now map to it: initialising them aborts what a previous run left open.
      const owners = new Set([ctx.subtask, ...mine.map((n) => n.subtask)]);
      for (const owner of owners) {
        for (let i = 0; i < limits.kafkaTransactionalIdsPerSubtask; i++) {
          const producer = make(`${ctx.sinkUid}-${owner}-${i}`);
          await producer.eos.initProducerId();
          if (owner === ctx.subtask) writer.slots.push({ producer, checkpointId: undefined });
        }
      }
      return writer;
    } catch (err) {
      await cluster.disconnect().catch(() => {});
      if (err instanceof WeirError) throw err;
      throw kafkaError('WEIR_SINK', `${who}: cannot open the transactional producers`, err);
    }
  }

  private constructor(
    private readonly cluster: Cluster,
    private readonly who: string,
    private readonly maker: RecordMaker<T>,
    private readonly slots: Slot[],
    private readonly offsets: KafkaSinkOptions<T>['offsetsInTransaction'],
  ) {}

  write(value: T, timestampMs: number, createdMs: number): void {
    this.pending.push(this.maker.make(value, timestampMs, createdMs));
    this.records++;
  }

  /** Sends what is buffered into the open transaction (opening one on a free id first). */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const slot = (this.current ??= this.begin());
    const messages = this.pending;
    this.pending = [];
    try {
      for (const chunk of sendChunks(messages)) await slot.producer.messages.sendBatch({ acks: -1, topicMessages: [{ topic: this.maker.topic, messages: chunk }] });
    } catch (err) {
      throw kafkaError('WEIR_SINK', `${this.who}: cannot send into transaction ${slot.producer.transactionalId}`, err);
    }
  }

  private begin(): Slot {
    const slot = this.slots.find((s) => s.checkpointId === undefined);
    if (slot === undefined) {
      throw new WeirError(
        'WEIR_SINK',
        `${this.who}: ${this.slots.length - 1} checkpoints are pre-committed and not yet committed; ` +
          `limits.kafkaTransactionalIdsPerSubtask (${limits.kafkaTransactionalIdsPerSubtask}) allows no further transaction`,
        { operator: this.who },
      );
    }
    slot.producer.eos.beginTransaction();
    slot.checkpointId = -1;
    return slot;
  }

  async preCommit(checkpointId: number, context?: PreCommitContext): Promise<JsonValue> {
    await this.flush();
    await this.sendOffsets(context);
    const slot = this.current;
    this.current = undefined;
    if (slot !== undefined) {
      slot.checkpointId = checkpointId;
      slot.note = {
        transactionalId: slot.producer.transactionalId,
        producerId: String(slot.producer.eos.getProducerId()),
        producerEpoch: slot.producer.eos.getProducerEpoch(),
        checkpointId,
      };
    }
    const pending = this.slots.filter((s) => s.note !== undefined).map((s) => s.note!);
    if (pending.length === 0) return null; // nothing written since the last commit
    const note: KafkaSinkNote = { transactions: pending.sort((a, b) => a.checkpointId - b.checkpointId) };
    return note as unknown as JsonValue;
  }

  /**
   * offsetsInTransaction: the cut's positions of the named source's partitions on this worker,
   * as the group's offsets in the open transaction (one is begun if nothing was written since
   * the last checkpoint but the source moved on — records filtered out still advance the offsets).
   * Unchanged offsets are not sent again.
   */
  private async sendOffsets(context: PreCommitContext | undefined): Promise<void> {
    const o = this.offsets;
    if (o === undefined || context === undefined) return;
    const partitions: Array<{ partition: number; offset: string }> = [];
    for (const { operatorUid, partition, position } of context.sourcePositions) {
      if (operatorUid !== o.source || typeof position !== 'number' || this.sentOffsets.get(partition) === position) continue;
      partitions.push({ partition, offset: String(position) });
    }
    if (partitions.length === 0) return;
    const slot = (this.current ??= this.begin());
    try {
      await retryCoordinatorBusy(() => slot.producer.eos.sendOffsets({ consumerGroupId: o.groupId, topics: [{ topic: o.topic, partitions }] }));
    } catch (err) {
      throw kafkaError('WEIR_SINK', `${this.who}: cannot add the offsets of group ${o.groupId} to transaction ${slot.producer.transactionalId}`, err);
    }
    for (const p of partitions) this.sentOffsets.set(p.partition, Number(p.offset));
  }

  async commit(checkpointId: number): Promise<void> {
    for (const slot of this.slots) {
      if (slot.checkpointId === undefined || slot.checkpointId < 0 || slot.checkpointId > checkpointId) continue;
      try {
        await slot.producer.eos.commit();
        // A new producer epoch before the id takes another transaction. Recovery commits a noted
        // transaction by its id, producer id and epoch; were the next transaction on this id under
        // the same epoch, a restart from this checkpoint would commit it too — records after the
        // cut, which the sources replay: duplicates. Under a new epoch that EndTxn is refused.
        await slot.producer.eos.initProducerId();
      } catch (err) {
        throw kafkaError('WEIR_SINK', `${this.who}: cannot commit transaction ${slot.producer.transactionalId} of checkpoint ${slot.checkpointId}`, err);
      }
      slot.checkpointId = undefined;
      slot.note = undefined;
      this.committed++;
    }
  }

  /** Recovery: commit a transaction of a completed checkpoint with the producer id and epoch it was written under. */
  private async commitNoted(note: KafkaTransactionNote): Promise<void> {
    try {
      const coordinator = await this.cluster.findGroupCoordinator({ groupId: note.transactionalId, coordinatorType: coordinatorType.transaction });
      await coordinator.endTxn({ transactionalId: note.transactionalId, producerId: note.producerId, producerEpoch: note.producerEpoch, transactionResult: true });
      this.recoveredCommitted++;
    } catch (err) {
      const type = (err as { type?: string }).type ?? '';
      if (!alreadyEnded.has(type)) throw kafkaError('WEIR_SINK', `${this.who}: cannot commit transaction ${note.transactionalId} of checkpoint ${note.checkpointId} on recovery`, err);
      // Committed before the crash (commit() ran), or aborted by the broker's transaction
      // timeout: the coordinator does not say which. Counted; see the module comment.
      this.recoveredMissing++;
    }
  }

  async close(): Promise<void> {
    try {
      if (this.current !== undefined) await this.current.producer.eos.abort().catch(() => {});
    } finally {
      this.current = undefined;
      await this.cluster.disconnect().catch(() => {});
    }
  }

  result(): { records: number; committed: number; recoveredCommitted: number; recoveredMissing: number } {
    return { records: this.records, committed: this.committed, recoveredCommitted: this.recoveredCommitted, recoveredMissing: this.recoveredMissing };
  }
}
