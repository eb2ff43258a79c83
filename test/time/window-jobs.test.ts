// Windows, triggers and joins on real worker threads, in both execution modes and with both state
// backends, against brute force over the same generated input (generatedEvent recomputes any
// record). Where lateness matters the job is built so that the outcome does not depend on thread
// timing; each job file says how.
import { describe, expect, it } from 'vitest';
import { run } from '../../src/runtime/index.ts';
import { generatedEvent, generatorPartitionCount, type GeneratedEvent, type GeneratorOptions } from '../../src/connectors/generator.ts';
import { jobUrl } from '../helpers.ts';
import * as aggregates from '../jobs/window-aggregates.ts';
import * as triggers from '../jobs/window-triggers.ts';
import * as joins from '../jobs/window-joins.ts';
import { bruteForceIntervalJoin, bruteForceSessions, bruteForceWindows, slidingOf, tumblingOf, windowResultOrder, type WindowResult } from './brute-force.ts';

function generated(opts: GeneratorOptions): GeneratedEvent[] {
  const all: GeneratedEvent[] = [];
  for (let p = 0; p < (opts.partitions ?? 2); p++) {
    for (let i = 0; i < generatorPartitionCount(opts, p); i++) all.push(generatedEvent(opts, p, i));
  }
  return all;
}

const sorted = (rs: WindowResult[]) => [...rs].sort(windowResultOrder);
const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const modes = ['continuous', 'micro-batch'] as const;
const backends = ['lmdb', 'heap'] as const;

for (const stateBackend of backends) {
  for (const mode of modes) {
    describe(`windows on worker threads (${mode}, ${stateBackend})`, () => {
      const runJob = async (name: string, params: Record<string, string> = {}, parallelism?: number) =>
        (await run(jobUrl(name), { mode, stateBackend, parallelism, params, microBatchIntervalMs: 20 })).done;

      it('tumbling aggregate, tumbling reduce, sliding process and merging sessions = brute force; nothing late', async () => {
        const count = 20_000;
        const result = await runJob('window-aggregates', { count: String(count) }, 2);
        const input = generated(aggregates.sourceOptions(count)).map((e) => ({ key: e.key, ts: e.ts, value: Math.floor(e.value) }));

        const tumbling = bruteForceWindows(input, tumblingOf(aggregates.tumblingMs));
        expect(sorted(result.results.tumbling as WindowResult[])).toEqual(tumbling);
        expect(result.results.late).toEqual([]);

        const maxes = (result.results['tumbling-max'] as Array<{ key: number; ts: number; value: number }>).map((r) => `${r.key}/${Math.floor(r.ts / 1000)}/${r.value}`).sort();
        expect(maxes).toEqual(tumbling.map((w) => `${w.key}/${w.start / 1000}/${w.max}`).sort());

        expect(sorted(result.results.sliding as WindowResult[])).toEqual(bruteForceWindows(input, slidingOf(aggregates.sliding.sizeMs, aggregates.sliding.slideMs)));

        const sessions = bruteForceSessions(input, aggregates.sessionGapMs);
        expect(sessions.length).toBeLessThan(input.length / 2); // sessions do merge records
        expect(sessions.length).toBeGreaterThan(100); // and do break
        expect(sorted(result.results.sessions as WindowResult[])).toEqual(sessions);
      });

      it('global windows with a purging count trigger; a custom early-firing trigger with state and a timer', async () => {
        const count = 10_000;
        const result = await runJob('window-triggers', { count: String(count) }, 2);
        const input = generated(triggers.sourceOptions(count));
        const perKey = new Map<number, number[]>();
        for (const e of input) perKey.set(e.key, [...(perKey.get(e.key) ?? []), e.seq]);

        // Which records make up a batch depends on how the two partitions interleave; how many
        // batches there are, their size, and that they hold the key's own records, does not.
        const batches = result.results.batches as Array<{ key: number; seqs: number[] }>;
        for (const [key, seqs] of perKey) {
          const mine = batches.filter((b) => b.key === key);
          expect(mine.length, `key ${key}`).toBe(Math.floor(seqs.length / triggers.batchSize));
          const available = new Map<number, number>();
          for (const s of seqs) available.set(s, (available.get(s) ?? 0) + 1);
          for (const b of mine) {
            expect(b.seqs).toHaveLength(triggers.batchSize);
            for (const s of b.seqs) {
              expect(available.get(s) ?? 0).toBeGreaterThan(0);
              available.set(s, available.get(s)! - 1);
            }
          }
        }

        // Early firings at every 5th record of a window (counts 5, 10, …), then the final count at the end.
        const early = result.results.early as Array<{ key: number; start: number; count: number }>;
        const want: string[] = [];
        for (const w of bruteForceWindows(input.map((e) => ({ key: e.key, ts: e.ts, value: 0 })), tumblingOf(triggers.windowMs))) {
          for (let n = triggers.earlyEvery; n <= w.count; n += triggers.earlyEvery) want.push(`${w.key}/${w.start}/${n}`);
          want.push(`${w.key}/${w.start}/${w.count}`);
        }
        expect(early.map((e) => `${e.key}/${e.start}/${e.count}`).sort()).toEqual(want.sort());
      });

      it('allowed lateness re-fires a window; later records go to the late side output (one partition: deterministic)', async () => {
        const expected = (key: string) => [
          { key, start: 1000, ids: [`${key}1000`, `${key}1500`] },
          { key, start: 1000, ids: [`${key}1000`, `${key}1200`, `${key}1500`] },
          { key, start: 2000, ids: [`${key}2500`] },
          { key, start: 5000, ids: [`${key}5000`] },
        ];
        const order = (a: { key: string; start: number; ids: string[] }, b: { key: string; start: number; ids: string[] }) => byString(a.key, b.key) || a.start - b.start || a.ids.length - b.ids.length;
        for (const tag of ['named', 'default']) {
          const result = await runJob('window-lateness', { tag });
          const fired = result.results.fired as Array<{ key: string; start: number; ids: string[] }>;
          expect([...fired].sort(order), `tag ${tag}`).toEqual([...expected('a'), ...expected('b')]);
          // Per key, the re-firing comes after the first firing.
          for (const key of ['a', 'b']) expect(fired.filter((f) => f.key === key && f.start === 1000).map((f) => f.ids.length)).toEqual([2, 3]);
          const late = (result.results.late as Array<{ id: string }>).map((r) => r.id).sort();
          expect(late, `tag ${tag}`).toEqual(['a1300', 'a2600', 'b1300', 'b2600']);
        }
      });

      it('late records sent to the default tag with no reader reach the dead letters', async () => {
        const result = await runJob('window-lateness', { tag: 'unread' });
        const dead = result.results.dead as Array<{ reason: string; raw: string }>;
        expect(dead.map((d) => (JSON.parse(d.raw) as { id: string }).id).sort()).toEqual(['a1300', 'a2600', 'b1300', 'b2600']);
        for (const d of dead) expect(d.reason).toContain('late-records');
      });

      it('windowed join, interval join and connect = brute force', async () => {
        const count = 4_000;
        const result = await runJob('window-joins', { count: String(count) }, 2);
        const side = (name: string, opts: GeneratorOptions) => generated(opts).map((e) => ({ key: e.key, ts: e.ts, id: `${name}${e.ts}/${e.seq}` }));
        const left = side('L', joins.leftOptions(count));
        const right = side('R', joins.rightOptions(count));

        const windowOf = (ts: number) => Math.floor(ts / joins.joinWindowMs);
        const windowPairs: string[] = [];
        for (const l of left) for (const r of right) if (l.key === r.key && windowOf(l.ts) === windowOf(r.ts)) windowPairs.push(`${l.id}|${r.id}`);
        expect(windowPairs.length).toBeGreaterThan(1000);
        expect([...(result.results['window-join'] as string[])].sort(byString)).toEqual(windowPairs.sort(byString));

        const intervalPairs = bruteForceIntervalJoin(left, right, joins.interval.lowerMs, joins.interval.upperMs).map(([l, r]) => `${l.id}|${r.id}`);
        expect(intervalPairs.length).toBeGreaterThan(100);
        expect([...(result.results['interval-join'] as string[])].sort(byString)).toEqual(intervalPairs.sort(byString));

        const profiles = new Map(generated({ partitions: 1, count: joins.profileCustomers, seed: 3 }).map((e) => [e.seq, e.value < 500 ? 'gold' : 'basic']));
        const wantEnriched = generated({ partitions: 2, count: 600, keys: 40, seed: 4 })
          .map((e) => `t${e.ts}/${e.seq}:${e.key}:${profiles.get(e.key) ?? null}`)
          .sort(byString);
        const enriched = (result.results.enriched as joins.Enriched[]).map((e) => `${e.txn}:${e.customer}:${e.tier}`).sort(byString);
        expect(enriched).toEqual(wantEnriched);
        expect(enriched.some((e) => e.endsWith(':null'))).toBe(true);
      });
    });
  }
}
