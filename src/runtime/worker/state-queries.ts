/**
 * Queryable state, the worker's half (Kafka Streams' interactive queries): the main thread posts a
 * query on the worker's query port and rings its doorbell (state-query-client.ts); the worker
 * answers from its loop, between two rounds of records (worker.ts), straight from its state store.
 * Nothing stops: a query costs the loop one look at the port per round, and a parked worker is
 * woken by the ring (hasRequests() is part of its wake condition), so it never spins for queries.
 *
 * What an answer sees: every record this worker has processed before the round in which it
 * answers — its state as it is, checkpointed or not.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { toPlainError, type PlainError } from '../../errors.ts';
import type { StateKind } from '../../state/keyed-state.ts';
import type { StoredKey } from '../../state/store.ts';
import type { KeyedOperator } from './keyed-operator.ts';
import { kStateQueriesPosted } from '../protocol.ts';

export type StateQueryRequest =
  /** What the worker knows of an operator's state: whether it declared it, its kind, the type of its keys. */
  | { id: number; type: 'describe'; operatorUid: string; state: string }
  /** The state's value for one key (already in its stored form and key group). */
  | { id: number; type: 'get'; operatorUid: string; state: string; key: StoredKey; keyGroup: number; known: { kind: StateKind; ttlMs?: number } };

export type StateQueryReply =
  | { id: number; ok: true; declared: { kind: StateKind; ttlMs?: number } | undefined; declaredStates: string[]; sampleKeyType: 'string' | 'number' | undefined }
  | { id: number; ok: true; kind: StateKind | undefined; value: unknown }
  | { id: number; ok: false; error: PlainError };

export class WorkerStateQueries {
  private readonly queue: StateQueryRequest[] = [];
  private readonly operators: Map<string, KeyedOperator>;
  /** kStateQueriesPosted when the port was last read: one Atomics.load per round, not a port read. */
  private postedSeen = 0;

  constructor(
    private readonly port: MessagePort,
    keyed: KeyedOperator[],
    private readonly control: Int32Array,
  ) {
    this.operators = new Map(keyed.map((op) => [op.uid, op]));
  }

  /** Takes what was posted into the queue; true when a query waits (part of the park's wake condition). */
  hasRequests(): boolean {
    const posted = Atomics.load(this.control, kStateQueriesPosted);
    if (posted === this.postedSeen) return this.queue.length > 0;
    // Seen before reading: a query posted meanwhile bumps the counter again and is read next time.
    this.postedSeen = posted;
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) this.queue.push(m.message as StateQueryRequest);
    return this.queue.length > 0;
  }

  /** Answers every waiting query (called by the loop between rounds of records). */
  answer(): void {
    if (!this.hasRequests()) return;
    for (const request of this.queue.splice(0)) this.port.postMessage(this.reply(request));
  }

  private reply(request: StateQueryRequest): StateQueryReply {
    try {
      // The main thread checked the operator against the plan: every worker has every operator.
      const operator = this.operators.get(request.operatorUid)!;
      operator.writeHeldState(); // what it holds in memory between flushes is answered too
      const state = operator.keyedState;
      if (request.type === 'describe') {
        const declared = state.declaredStates();
        const sample = state.sampleKey(request.state);
        return {
          id: request.id,
          ok: true,
          declared: declared.find((d) => d.name === request.state),
          declaredStates: declared.map((d) => d.name),
          sampleKeyType: sample === undefined ? undefined : typeof sample === 'number' ? 'number' : 'string',
        };
      }
      const found = state.peek(request.state, request.keyGroup, request.key, request.known);
      return found === 'undeclared' ? { id: request.id, ok: true, kind: undefined, value: undefined } : { id: request.id, ok: true, kind: found.kind, value: found.value };
    } catch (err) {
      return { id: request.id, ok: false, error: toPlainError(err) };
    }
  }
}
