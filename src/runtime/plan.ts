import type { JobGraph, LogicalNode } from '../api/graph.ts';
import { WeirError } from '../errors.ts';

const isExchange = (node: LogicalNode) => node.kind === 'keyBy' || node.kind === 'broadcast';
const isMapAsync = (node: LogicalNode) => node.kind === 'mapAsync';

/**
 * The physical plan: every operator runs on every worker (one chain per worker, as Flink's slot
 * sharing); keyBy edges become exchanges, each a ring per pair of workers and a local channel per
 * worker (exchanges.ts). Node ids are already in
 * topological order (a node can only name earlier nodes as inputs), so exchanges are numbered in
 * that order too: the deadlock-freedom argument in worker.ts relies on it.
 */
export interface Plan {
  graph: JobGraph;
  parallelism: number;
  /** keyBy node ids that have readers; the index in this array is the exchange number. */
  exchanges: number[];
  sources: Array<LogicalNode & { kind: 'source' }>;
  sinks: Array<LogicalNode & { kind: 'sink' }>;
}

export function planJob(graph: JobGraph, parallelism: number): Plan {
  const exchanges: number[] = [];
  const sources: Plan['sources'] = [];
  const sinks: Plan['sinks'] = [];
  for (const node of graph.nodes) {
    for (const input of graph.inputsOf(node)) {
      if (input >= node.id) throw new WeirError('WEIR_JOB_DEFINITION', `operator ${node.name} reads from a later operator`);
    }
    // A keyBy that nothing reads (the inputs of an interval join, whose operator keys its own
    // union) needs no exchange: no rings, and its records go nowhere.
    if (isExchange(node) && graph.consumersOf(node.id).length > 0) exchanges.push(node.id);
    if (node.kind === 'broadcastProcess' && (graph.nodes[node.input].kind === 'broadcast' || graph.nodes[node.broadcastInput].kind !== 'broadcast')) {
      throw new WeirError('WEIR_JOB_DEFINITION', `operator ${node.name} must read a stream and a broadcast stream`);
    }
    if (node.kind === 'source') sources.push(node);
    if (node.kind === 'sink') sinks.push(node);
    if (node.uid !== undefined && (node.uid === '' || node.uid.includes('/'))) {
      throw new WeirError('WEIR_JOB_DEFINITION', `operator ${node.name}: a uid must be non-empty and without '/', not ${JSON.stringify(node.uid)}`);
    }
    if (node.kind === 'process' && graph.nodes[node.input].kind !== 'keyBy') {
      throw new WeirError('WEIR_JOB_DEFINITION', `keyed operator ${node.name} must follow keyBy`);
    }
  }
  return { graph, parallelism, exchanges, sources, sinks };
}

/** Partitions are pinned to workers: worker w owns partitions p with p mod parallelism = w. */
export function ownedPartitions(partitions: number, parallelism: number, worker: number): number[] {
  const owned: number[] = [];
  for (let p = worker; p < partitions; p += parallelism) owned.push(p);
  return owned;
}

/** The largest partition count among the sources: the default parallelism. */
export function defaultParallelism(graph: JobGraph): number {
  let most = 1;
  for (const node of graph.nodes) if (node.kind === 'source') most = Math.max(most, node.spec.partitions());
  return most;
}

/**
 * The id under which an operator's state is stored: its uid, else its name ('/' escaped, since
 * state ids are `${operatorUid}/${stateName}`). Stable across runs of the same job.
 */
export function operatorUid(node: LogicalNode): string {
  return node.uid ?? node.name.replaceAll('/', '%2F');
}

/**
 * The mapAsync operators that records leaving `nodeId` reach in the same worker's chain, without
 * crossing an exchange (beyond one, a ring holds them back) or another mapAsync (its results are
 * emitted by the worker loop, not by its input): a full one stops the input that feeds it.
 */
export function asyncOperatorsFedBy(graph: JobGraph, nodeId: number): number[] {
  return reachedInChain(graph, nodeId, isMapAsync, isExchange);
}

/** The exchanges (keyBy and broadcast nodes) that records leaving `nodeId` reach in the same worker's chain, through no other mapAsync. */
export function exchangesFedBy(graph: JobGraph, nodeId: number): number[] {
  return reachedInChain(graph, nodeId, isExchange, isMapAsync);
}

/** The nodes `wanted` that records leaving `nodeId` reach, passing through neither a wanted node nor one that `stops`. */
function reachedInChain(graph: JobGraph, nodeId: number, wanted: (node: LogicalNode) => boolean, stops: (node: LogicalNode) => boolean): number[] {
  const found = new Set<number>();
  const visit = (id: number) => {
    for (const node of graph.nodes) {
      if (!graph.inputsOf(node).includes(id)) continue;
      if (wanted(node)) found.add(node.id);
      else if (!stops(node)) visit(node.id);
    }
  };
  visit(nodeId);
  return [...found];
}
