/**
 * The continuous top-N (Flink SQL's Top-N over an unbounded table): as each key's value changes,
 * the ranking of the best n keys is kept up to date and every rank whose row changes is emitted as
 * an upsert `{ rank, key, value }` — the rank is the upsert key, as when Flink SQL's Top-N
 * outputs the row number. Applying the upserts in order gives the current ranking.
 *
 * Two stages after the per-key value (computed where the key lives):
 *  - a shard (a fixed hash of the key, limits.rankingShards of them) keeps the scores of its keys
 *    and its own top n, and sends that top n on whenever it changes;
 *  - one merge keeps every shard's top n and the ranking it last emitted, and emits the ranks that
 *    differ.
 * A shard keeps all of its keys' scores because a key of its top n may fall: the next best then
 * comes from the keys it holds (a scan of the shard, only then). No worker holds every key; the
 * merge holds n entries per shard.
 */
import type { KeyedProcessFunction } from '../functions/contracts.ts';
import { compareEntries, insertRanked, mergeRankings, type RankEntry } from './ranking.ts';

/** A key's latest value and score, on its way to its shard. */
export interface KeyScore<K, V> {
  shard: number;
  key: K;
  value: V;
  score: number;
  tie: string;
}

/** A shard's top n, on its way to the merge. */
export interface ShardTop<K, V> {
  shard: number;
  top: RankEntry<{ key: K; value: V }>[];
}

/** A change of the ranking: rank `rank` now holds `key` with `value`. */
export interface TopNUpsert<K, V> {
  rank: number;
  key: K;
  value: V;
}

type Entry<K, V> = RankEntry<{ key: K; value: V }>;

const sameEntry = (a: Entry<unknown, unknown> | undefined, b: Entry<unknown, unknown>) =>
  a !== undefined && a.tie === b.tie && a.score === b.score && JSON.stringify(a.value.value) === JSON.stringify(b.value.value);

/** Stage 2, keyed by shard: the shard's keys' scores and its top n. */
export function shardTopN<K, V>(n: number): KeyedProcessFunction<KeyScore<K, V>, number, ShardTop<K, V>> {
  return {
    processElement(update, ctx) {
      const scores = ctx.mapState<string, Entry<K, V>>('scores');
      const topState = ctx.valueState<Entry<K, V>[]>('top');
      const entry: Entry<K, V> = { score: update.score, tie: update.tie, value: { key: update.key, value: update.value } };
      scores.put(update.tie, entry);
      const top = topState.value() ?? [];
      const at = top.findIndex((e) => e.tie === entry.tie);
      let next: Entry<K, V>[];
      if (at < 0) {
        if (top.length >= n && compareEntries(entry, top[top.length - 1]) >= 0) return; // not in the top n, and still not
        next = insertRanked(top.slice(), entry, n);
      } else {
        const rest = top.filter((_, i) => i !== at);
        // The keys outside the top n all rank below its old last entry: while the key still ranks
        // above that (or there are no keys outside), it stays in the top n, which is the rest and it.
        if (compareEntries(entry, top[top.length - 1]) <= 0 || scores.size() <= top.length) {
          next = insertRanked(rest, entry, n);
        } else {
          // A key of the top n fell below its last: the n best come from all the shard's keys.
          next = [];
          for (const e of scores.values()) insertRanked(next, e, n);
        }
      }
      if (next.length === top.length && next.every((e, i) => sameEntry(top[i], e))) return;
      topState.update(next);
      ctx.emit({ shard: ctx.key, top: next });
    },
  };
}

/** Stage 3, keyed by one constant: every shard's top n merged; the ranks that changed are emitted. */
export function mergeTopN<K, V>(n: number): KeyedProcessFunction<ShardTop<K, V>, number, TopNUpsert<K, V>> {
  return {
    processElement(update, ctx) {
      const shards = ctx.valueState<Record<string, Entry<K, V>[]>>('shard-tops');
      const rankingState = ctx.valueState<Entry<K, V>[]>('ranking');
      const tops = shards.value() ?? {};
      tops[String(update.shard)] = update.top;
      shards.update(tops);
      let ranking: Entry<K, V>[] = [];
      for (const shard of Object.keys(tops)) ranking = mergeRankings(ranking, tops[shard], n);
      const previous = rankingState.value() ?? [];
      let changed = false;
      for (let i = 0; i < ranking.length; i++) {
        if (sameEntry(previous[i], ranking[i])) continue;
        changed = true;
        ctx.emit({ rank: i + 1, key: ranking[i].value.key, value: ranking[i].value.value });
      }
      if (changed) rankingState.update(ranking);
    },
  };
}
