/**
 * What the plain single-thread Nexmark programs share (the COST baseline: McSherry et al.,
 * "Scalability! But at what COST?"). Each query is one loop over the events in the order they were
 * generated, with its state in Maps and no engine: what a competent engineer would write by hand.
 * Event-time queries track a watermark as weir's sources do — the largest dateTime seen minus the
 * bound minus 1 — and fire what it passes; records at or behind it are late and dropped.
 */
import type { NexmarkEvent } from '../../src/connectors/nexmark/model.ts';

export interface BaselineOptions {
  /** The watermark bound, ms (the queries' watermarkMs). */
  watermarkMs: number;
}

export type Baseline<R> = (events: Iterable<NexmarkEvent>, emit: (row: R) => void, opts: BaselineOptions) => void;
