import type { JobGraph } from '../../api/graph.ts';
import { asyncOperatorsFedBy, exchangesFedBy } from '../plan.ts';
import type { AsyncOperator } from './async-operator.ts';

/**
 * A worker's mapAsync operators seen together (async-operator.ts has one): whether any holds a
 * record or has a request in flight, and which inputs feed a full one — those inputs are not read
 * until it has room again, so backpressure reaches only the inputs that feed it.
 *
 * Checkpoints: an operator emits nothing between the moment the aligning checkpoint's barrier goes
 * into an exchange it feeds and the snapshot. A result emitted then would follow the barrier —
 * processed after the snapshot, so not in it — and would no longer be in flight at the snapshot,
 * which stores what is (async-operator.ts): a restore from that checkpoint would lose it. Held
 * back, it is stored in flight and issued again on a restore; after the snapshot it goes on. This
 * cannot deadlock alignment: a barrier goes into an exchange only once every input before it has
 * delivered its own (barriers.ts), so the inputs a held operator blocks are held already.
 */
export class AsyncOperators {
  /** [source slot] and [exchange]: the mapAsync operators whose input that one feeds. */
  private readonly fedBySource: AsyncOperator[][];
  private readonly fedByExchange: AsyncOperator[][];
  /** [operator]: the exchanges (indices) its output goes into within the chain. */
  private readonly feeds: number[][];

  constructor(
    private readonly operators: AsyncOperator[],
    graph: JobGraph,
    sourceNodes: number[],
    exchangeNodes: number[],
    /** [exchange]: 1 while the aligning checkpoint's barrier is in it and the snapshot not taken (BarrierAlignment.sealed); undefined without checkpoints. */
    private readonly sealed: Uint8Array | undefined,
  ) {
    const fedBy = (nodeId: number) => asyncOperatorsFedBy(graph, nodeId).map((id) => operators.find((op) => op.nodeId === id)!);
    this.fedBySource = sourceNodes.map(fedBy);
    this.fedByExchange = operators.length === 0 ? [] : exchangeNodes.map(fedBy);
    this.feeds = operators.map((op) => exchangesFedBy(graph, op.nodeId).map((id) => exchangeNodes.indexOf(id)).filter((e) => e >= 0));
  }

  /** Emits the results that settled, in the order each operator promises; true when there were any. Operators held by a checkpoint wait. */
  drain(): boolean {
    let progress = false;
    for (let i = 0; i < this.operators.length; i++) if (!this.held(i)) progress = this.operators[i].drain() || progress;
    return progress;
  }

  /** The checkpoint being aligned has its barrier in an exchange operator i feeds: it emits nothing until the snapshot. */
  private held(i: number): boolean {
    const sealed = this.sealed;
    if (sealed === undefined) return false;
    for (const e of this.feeds[i]) if (sealed[e] !== 0) return true;
    return false;
  }

  /** Some request is in flight (it settles only on this thread's event loop). */
  inFlight(): boolean {
    for (const operator of this.operators) if (operator.inFlight() > 0) return true;
    return false;
  }

  /** No operator holds a record: nothing in flight, nothing waiting to be emitted. */
  idle(): boolean {
    for (const operator of this.operators) if (!operator.idle()) return false;
    return true;
  }

  /** A settlement that drain would emit now. */
  hasNews(): boolean {
    return this.operators.some((op, i) => op.hasNews() && !this.held(i));
  }

  /** Settles at the next settlement drain would emit, when such a request is in flight (a held operator's results wait for the snapshot: waking for them would spin). */
  whenNews(): Promise<void> | undefined {
    const waking = this.operators.filter((op, i) => (op.inFlight() > 0 || op.hasNews()) && !this.held(i));
    return waking.length > 0 ? Promise.race(waking.map((op) => op.whenNews())) : undefined;
  }

  /** The input of exchange e feeds a full mapAsync: it is not read now (its rings hold the records back). */
  readonly exchangeFull = (e: number): boolean => this.fedByExchange.length > 0 && roomOf(this.fedByExchange[e]) <= 0;

  /** Records source slot i may still give the operators it feeds (Infinity when it feeds none). */
  readonly sourceRoom = (i: number): number => roomOf(this.fedBySource[i]);
}

/** Records the fullest of these operators can still take (Infinity when there is none). */
function roomOf(operators: AsyncOperator[]): number {
  let room = Number.POSITIVE_INFINITY;
  for (const operator of operators) room = Math.min(room, operator.room());
  return room;
}
