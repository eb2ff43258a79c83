// A job on its own recorded data: café orders from two JSON-lines files (one partition each),
// the paid ones counted per customer with keyed state; each order's running count is written as
// JSON lines into the run's work dir (orders-per-customer-<worker>.jsonl).
//
// It reads no rate parameter: `weir bench --replay` benchmarks it on its recording, reading the
// files open-loop at each offered rate and stamping every record with its scheduled creation time.
// A recording shorter than a run is replayed again from its start.
//
//   node bin/weir.mjs run examples/orders.ts                            # reads the files once
//   node bin/weir.mjs bench examples/orders.ts --replay --rates 5k,20k --out orders-report
//
// The k-th paid order of a customer is counted k whatever the interleaving of the two files, so the
// output — and a report's output checksum — is the same in both modes.
import { fileURLToPath } from 'node:url';
import { defineJob } from '../src/api/index.ts';
import { fileSink, jsonLinesSource } from '../src/connectors/index.ts';

interface Order {
  id: number;
  ts: number;
  customer: string;
  product: string;
  quantity: number;
  priceEur: number;
  status: 'paid' | 'refunded';
}

const recording = ['orders-1.jsonl', 'orders-2.jsonl'].map((file) => fileURLToPath(new URL(`./data/${file}`, import.meta.url)));

export default defineJob(
  (env) => {
    env
      .source(jsonLinesSource<Order>({ path: recording, timestamp: (o) => o.ts }), { name: 'orders' })
      .filter((o) => o.status === 'paid', { name: 'paid-only' })
      .keyBy((o) => o.customer, { name: 'by-customer' })
      .process<{ customer: string; paidOrders: number }>(
        (o, ctx) => {
          const orders = ctx.valueState<number>('paid-orders');
          const count = (orders.value() ?? 0) + 1;
          orders.update(count);
          ctx.emit({ customer: ctx.key, paidOrders: count });
        },
        { name: 'count-per-customer' },
      )
      .sinkTo(fileSink({ path: 'orders-per-customer.jsonl', name: 'orders-per-customer' }));
  },
  { name: 'orders' },
);
