/**
 * What the web UI polls (GET /api/job): the job's graph — fixed for the run — and a metrics()
 * reading, as JSON. The graph is described once, when the endpoint starts.
 */
import type { Plan } from '../runtime/plan.ts';
import type { JobMetrics } from '../runtime/metrics.ts';

export interface JobGraphView {
  nodes: Array<{
    id: number;
    name: string;
    kind: string;
    /** The nodes this one reads (a side output: the operator that emits it). */
    inputs: number[];
    /** A keyBy whose records cross threads through rings (its channels in metrics are named after it). */
    exchange: boolean;
    /** A sink's kind ('file', 'kafka', …). */
    sinkKind?: string;
  }>;
}

export interface JobView {
  name: string;
  mode: string;
  parallelism: number;
  /** Epoch ms of this reading. */
  atMs: number;
  graph: JobGraphView;
  metrics: JobMetrics;
}

export function describeGraph(plan: Plan): JobGraphView {
  const exchanges = new Set(plan.exchanges);
  return {
    nodes: plan.graph.nodes.map((node) => ({
      id: node.id,
      name: node.name,
      kind: node.kind,
      inputs: plan.graph.inputsOf(node),
      exchange: exchanges.has(node.id),
      ...(node.kind === 'sink' ? { sinkKind: node.spec.kind } : {}),
    })),
  };
}

/** JSON of a view; the latency histogram's last bound, +∞, becomes null as JSON has no infinity. */
export function jobViewJson(view: JobView): string {
  return JSON.stringify(view);
}
