// The dashboard's data generator: click and purchase events of an online shop, derived record by
// record from weir's seeded generator (so the same seed gives the same events, in every run and
// in a test's brute force). Users are the generator's skewed keys; products are skewed too (a
// few sell far more than the rest); one event in 20 is a purchase at the product's price.
import type { GeneratedEvent, GeneratorOptions } from '../../src/connectors/index.ts';

export interface ShopEvent {
  kind: 'click' | 'purchase';
  user: number;
  product: string;
  /** Whole currency units; 0 for a click. */
  price: number;
  ts: number;
}

export const products = 200;
/** 2026-01-01T00:00:00Z: the day the generated events fall on (they start at 08:00). */
export const dayStartMs = 1_767_225_600_000;
export const dayMs = 86_400_000;

/** The generator's options for `count` events at `ratePerSec` (event time: 2 ms per record per partition). */
export function shopGeneratorOptions(opts: { count: number; ratePerSec: number; seed: number; partitions?: number }): GeneratorOptions {
  return {
    partitions: opts.partitions ?? 2,
    count: opts.count,
    ratePerSec: opts.ratePerSec,
    seed: opts.seed,
    keys: 5_000,
    keySkew: 0.6,
    eventTimeStartMs: dayStartMs + 8 * 3_600_000,
    eventTimeStepMs: 2,
    outOfOrderFraction: 0.05,
    outOfOrderMaxMs: 1_000,
  };
}

/** How far event time may run out of order: the generator's outOfOrderMaxMs (nothing is late). */
export const outOfOrderMs = 1_000;

export function shopEvent(e: GeneratedEvent): ShopEvent {
  // value is uniform in [0, 1000): its cube skews products towards the low numbers.
  const product = Math.floor(products * (e.value / 1000) ** 3);
  const purchase = (e.seq * 7 + e.key) % 20 === 0;
  return { kind: purchase ? 'purchase' : 'click', user: e.key, product: `p${product}`, price: purchase ? 5 + (product % 50) * 2 : 0, ts: e.ts };
}
