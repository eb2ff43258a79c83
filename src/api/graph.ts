import type { SinkSpec, SourceSpec } from '../connectors/types.ts';
import type { Codec } from '../channel/codec.ts';
import type { Collector, KeyedProcessFunction, ProcessFunction } from '../functions/contracts.ts';
import type { AsyncMapFunction } from './async-options.ts';
import type { BroadcastProcessFunction, KeyedBroadcastProcessFunction } from './broadcast.ts';
import type { WatermarkStrategy } from '../time/watermarks.ts';
import type { PreAggregation } from '../time/pre-aggregation.ts';

/**
 * The logical job graph. Every thread builds it from the same job module, in the same order, so
 * node ids agree across threads without anything being sent between them.
 */
export type NodeId = number;

interface NodeBase {
  id: NodeId;
  /** Human-readable, unique within the job: used in metrics and in errors. */
  name: string;
  /** Optional user-assigned stable id (for state across job changes). */
  uid?: string;
  /** What a record this operator fails on does (default: the job's onError, else 'fail'). */
  onError?: ErrorPolicy;
}

/**
 * What a record an operator fails on does (Kafka Streams' exception handlers): 'fail' fails the
 * job (restarts, if any, follow the restart strategy); 'dead-letter' sends the record to the
 * dead letters with the operator, its source position, the reason and the error's stack, and the
 * job goes on.
 */
export type ErrorPolicy = 'fail' | 'dead-letter';

export const errorPolicies: readonly ErrorPolicy[] = ['fail', 'dead-letter'];

export type LogicalNode =
  | (NodeBase & { kind: 'source'; spec: SourceSpec<unknown>; watermarks: WatermarkStrategy<unknown> | undefined })
  | (NodeBase & { kind: 'map'; input: NodeId; fn: (value: unknown) => unknown })
  | (NodeBase & { kind: 'filter'; input: NodeId; fn: (value: unknown) => boolean })
  | (NodeBase & { kind: 'flatMap'; input: NodeId; fn: (value: unknown, out: Collector<unknown>) => unknown })
  | (NodeBase & { kind: 'union'; inputs: NodeId[] })
  | (NodeBase & { kind: 'keyBy'; input: NodeId; key: (value: unknown) => unknown; codec: Codec<unknown> | undefined; combine?: (earlier: unknown, later: unknown) => unknown; combineDelayMs?: number })
  /** With `preAggregation` (window aggregates, time/pre-aggregation.ts) it also accepts partial aggregates, combined before its exchange. */
  | (NodeBase & { kind: 'process'; input: NodeId; fn: KeyedProcessFunction<unknown, unknown, unknown>; preAggregation?: PreAggregation })
  /** A process function on a stream that is not keyed (Flink's ProcessFunction): no state, no timers. */
  | (NodeBase & { kind: 'statelessProcess'; input: NodeId; fn: ProcessFunction<unknown, unknown> })
  | (NodeBase & { kind: 'sink'; input: NodeId; spec: SinkSpec<unknown> })
  /** Every record to every worker (Flink's broadcast()): an exchange that copies instead of routing by key. */
  | (NodeBase & { kind: 'broadcast'; input: NodeId; codec: Codec<unknown> | undefined })
  /**
   * A process function beside broadcast state, `broadcastInput` a broadcast: keyed (Flink's
   * KeyedBroadcastProcessFunction) when `input` is a keyBy, else on the records where they are
   * (Flink's BroadcastProcessFunction).
   */
  | (NodeBase & { kind: 'broadcastProcess'; input: NodeId; broadcastInput: NodeId; fn: KeyedBroadcastProcessFunction<unknown, unknown, unknown, unknown> | BroadcastProcessFunction<unknown, unknown, unknown> })
  /** An asynchronous map (Flink's AsyncDataStream): `fn.map` returns a Promise (open/close around the worker's part); at most `capacity` calls in flight per worker. */
  | (NodeBase & { kind: 'mapAsync'; input: NodeId; fn: AsyncMapFunction<unknown, unknown>; async: AsyncSettings })
  /** The records an operator sent to side output `tag` (ctx.output(tag, v)). */
  | (NodeBase & { kind: 'sideOutput'; input: NodeId; tag: string });

export type NodeKind = LogicalNode['kind'];

/** A mapAsync operator's settings, defaults applied (api/async-stream.ts validates them). */
export interface AsyncSettings {
  capacity: number;
  /** Per attempt; +Infinity: none. */
  timeoutMs: number;
  ordered: boolean;
  /** Attempts in all (1: no retry), and the wait before attempt k+1: backoffMs × backoffMultiplier^(k−1), at most backoffMsMax. */
  attempts: number;
  backoffMs: number;
  backoffMultiplier: number;
  backoffMsMax: number;
}

/** Operators whose state is in the keyed-state store (and so in checkpoints). */
export function isStateful(node: LogicalNode): boolean {
  return node.kind === 'process' || node.kind === 'mapAsync' || node.kind === 'broadcastProcess';
}

/** A node as the API adds it: the graph assigns the id and makes the name unique. */
export type NewNode = LogicalNode extends infer N ? (N extends LogicalNode ? Omit<N, 'id' | 'name'> & { name?: string } : never) : never;

export type { Collector } from '../functions/contracts.ts';

export class JobGraph {
  readonly nodes: LogicalNode[] = [];
  deadLetterSink: SinkSpec<unknown> | undefined;
  private readonly names = new Set<string>();

  add(node: NewNode): LogicalNode {
    const id = this.nodes.length;
    const name = this.uniqueName(node.name ?? `${node.kind}#${id}`);
    const full = { ...node, id, name } as LogicalNode;
    this.nodes.push(full);
    return full;
  }

  rename(id: NodeId, name: string): void {
    const node = this.nodes[id];
    this.names.delete(node.name);
    node.name = this.uniqueName(name);
  }

  inputsOf(node: LogicalNode): NodeId[] {
    if (node.kind === 'source') return [];
    if (node.kind === 'union') return node.inputs;
    if (node.kind === 'broadcastProcess') return [node.input, node.broadcastInput];
    return [node.input];
  }

  /** Nodes that read the main output of `id`, in id order (side outputs excluded). */
  consumersOf(id: NodeId): LogicalNode[] {
    return this.nodes.filter((n) => n.kind !== 'sideOutput' && this.inputsOf(n).includes(id));
  }

  /** The side-output nodes reading tag `tag` of `id`. */
  sideOutputsOf(id: NodeId, tag: string): LogicalNode[] {
    return this.nodes.filter((n) => n.kind === 'sideOutput' && n.input === id && n.tag === tag);
  }

  private uniqueName(name: string): string {
    let candidate = name;
    for (let i = 2; this.names.has(candidate); i++) candidate = `${name}-${i}`;
    this.names.add(candidate);
    return candidate;
  }
}
