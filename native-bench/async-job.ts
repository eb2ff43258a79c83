// The job `npm run bench:async` measures: generated events → mapAsync against a key-value store
// that answers every get after `latencyMs` (1 ms) → a discarding sink.
// Parameters: count, capacity, latencyMs, ordered.
import { defineJob } from '../src/api/index.ts';
import { generator } from '../src/connectors/index.ts';
import { discard } from './discard.ts';

/** A key-value store on another host, as the worker sees it: every get settles after latencyMs. */
class LatencyStore {
  private readonly values = new Map<number, string>();
  constructor(
    private readonly latencyMs: number,
    keys: number,
  ) {
    for (let k = 0; k < keys; k++) this.values.set(k, `profile-${k}`);
  }

  get(key: number): Promise<string | undefined> {
    if (this.latencyMs === 0) return new Promise((resolve) => setImmediate(() => resolve(this.values.get(key))));
    return new Promise((resolve) => setTimeout(() => resolve(this.values.get(key)), this.latencyMs));
  }
}

export default defineJob((env) => {
  const keys = 10_000;
  const store = new LatencyStore(env.numberParam('latencyMs', 1), keys);
  env
    .source(generator({ partitions: 1, count: env.numberParam('count', 500_000), keys, seed: 3 }), { name: 'events' })
    .mapAsync(async (e) => ({ key: e.key, value: e.value, profile: await store.get(e.key) }), {
      name: 'lookup',
      capacity: env.numberParam('capacity', 100),
      ordered: env.params.ordered !== 'false',
      timeoutMs: env.params.timeoutMs === undefined ? undefined : Number(env.params.timeoutMs),
    })
    .sinkTo(discard);
}, { name: 'async-bench' });
