import type { JobGraph } from '../../api/graph.ts';
import { asyncOperatorsFedBy } from '../plan.ts';
import type { AsyncOperator } from './async-operator.ts';

/**
 * A worker's mapAsync operators seen together (async-operator.ts has one): whether any holds a
 * record or has a request in flight, and which inputs feed a full one — those inputs are not read
 * until it has room again, so backpressure reaches only the inputs that feed it.
 */
export class AsyncOperators {
  /** [source slot] and [exchange]: the mapAsync operators whose input that one feeds. */
  private readonly fedBySource: AsyncOperator[][];
  private readonly fedByExchange: AsyncOperator[][];

  constructor(
    private readonly operators: AsyncOperator[],
    graph: JobGraph,
    sourceNodes: number[],
    exchangeNodes: number[],
  ) {
    const fedBy = (nodeId: number) => asyncOperatorsFedBy(graph, nodeId).map((id) => operators.find((op) => op.nodeId === id)!);
    this.fedBySource = sourceNodes.map(fedBy);
    this.fedByExchange = operators.length === 0 ? [] : exchangeNodes.map(fedBy);
  }

  /** Emits the results that settled, in the order each operator promises; true when there were any. */
  drain(): boolean {
    let progress = false;
    for (const operator of this.operators) progress = operator.drain() || progress;
    return progress;
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

  hasNews(): boolean {
    return this.operators.some((op) => op.hasNews());
  }

  /** Settles at the next settlement, when a request is in flight. */
  whenNews(): Promise<void> | undefined {
    return this.inFlight() ? Promise.race(this.operators.map((op) => op.whenNews())) : undefined;
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
