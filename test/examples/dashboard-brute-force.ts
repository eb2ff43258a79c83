// The dashboard's figures by definition, over the same generated events as the job reads: the
// other side of the dashboard tests. Nothing here shares code with the job but the event mapping.
import { generatedEvent, generatorPartitionCount } from '../../src/connectors/generator.ts';
import { activeUsersWindowMs, topProducts } from '../../examples/dashboard/job.ts';
import { dayMs, shopEvent, shopGeneratorOptions, type ShopEvent } from '../../examples/dashboard/events.ts';

export function shopEvents(count: number, seed: number): ShopEvent[] {
  const opts = shopGeneratorOptions({ count, ratePerSec: 0, seed });
  const all: ShopEvent[] = [];
  for (let p = 0; p < 2; p++) for (let i = 0; i < generatorPartitionCount(opts, p); i++) all.push(shopEvent(generatedEvent(opts, p, i)));
  return all;
}

/** The figures by definition: distinct users per tumbling window, the day's revenue, a window's product ranking. */
export function bruteForce(events: ShopEvent[]) {
  const users = new Map<number, Set<number>>();
  const revenue = new Map<number, { day: number; revenue: number; purchases: number }>();
  for (const e of events) {
    const start = Math.floor(e.ts / activeUsersWindowMs) * activeUsersWindowMs;
    if (!users.has(start)) users.set(start, new Set());
    users.get(start)!.add(e.user);
    if (e.kind === 'purchase') {
      const day = Math.floor(e.ts / dayMs);
      const r = revenue.get(day) ?? { day, revenue: 0, purchases: 0 };
      revenue.set(day, { day, revenue: r.revenue + e.price, purchases: r.purchases + 1 });
    }
  }
  const ranking = (start: number, end: number) => {
    const counts = new Map<string, number>();
    for (const e of events) if (e.ts >= start && e.ts < end) counts.set(e.product, (counts.get(e.product) ?? 0) + 1);
    return [...counts]
      .sort(([ka, a], [kb, b]) => b - a || (JSON.stringify(ka) < JSON.stringify(kb) ? -1 : 1))
      .slice(0, topProducts.k)
      .map(([key, value], i) => ({ key, value, rank: i + 1 }));
  };
  return { users, revenue, ranking };
}
