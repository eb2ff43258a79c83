/**
 * `keyed.topN(n, by, { aggregate? })`: the continuous top-N of the keys (src/time/continuous-top-n.ts).
 * A key's value is its latest record, or with `aggregate` its running aggregate (kept where the
 * key lives); its score is `by(value)`.
 */
import { objectCodec } from '../channel/object-codec.ts';
import { limits } from '../limits.ts';
import { hashKey } from '../runtime/keys.ts';
import type { AggregateFunction } from '../functions/contracts.ts';
import type { DataStream, KeyedStream, OperatorOptions } from './stream.ts';
import { expectFolded, expectSync, rejectAsyncFunction, rejectAsyncMethods } from '../functions/sync.ts';
import { mergeTopN, shardTopN, type KeyScore, type ShardTop, type TopNUpsert } from '../time/continuous-top-n.ts';
import { checkK, scoreOf, tieBreakOf } from '../time/ranking.ts';
import { checkOperatorOptions, operatorOptionKeys } from './operator-options.ts';
import type { KeySet } from '../util/known-keys.ts';

export interface TopNOptions<T, ACC, V> extends OperatorOptions {
  /** Rank keys by a running aggregate of their records instead of their latest record. */
  aggregate?: AggregateFunction<T, ACC, V>;
}

export function keyedTopN<T, K, ACC, V>(keyed: KeyedStream<T, K>, n: number, by: (value: V) => number, options: TopNOptions<T, ACC, V>): DataStream<TopNUpsert<K, V>> {
  const name = options.name ?? `topN(${n})`;
  checkOperatorOptions('topN', options, { ...operatorOptionKeys, aggregate: true } satisfies KeySet<TopNOptions<T, ACC, V>>);
  checkK(n, name);
  rejectAsyncFunction(by, name, 'score function');
  const { aggregate } = options;
  if (aggregate !== undefined) rejectAsyncMethods(aggregate, name, 'aggregate function');
  const uid = (part: string) => (options.uid === undefined ? undefined : `${options.uid}:${part}`);
  const scored = keyed.process<KeyScore<K, V>>(
    (record, ctx) => {
      let value: V;
      if (aggregate === undefined) {
        value = record as unknown as V;
      } else {
        const state = ctx.valueState<ACC>('accumulator');
        const accumulator = expectFolded(aggregate.add(record, state.value() ?? expectFolded(aggregate.createAccumulator(), 'createAccumulator function')), 'aggregate add function');
        state.update(accumulator);
        value = expectSync(aggregate.getResult(accumulator), 'getResult function');
      }
      const key = ctx.key;
      ctx.emit({ shard: hashKey(key) % limits.rankingShards, key, value, score: scoreOf(by, value, name), tie: tieBreakOf(key) });
    },
    { name: `${name}:per-key`, uid: uid('per-key'), onError: options.onError },
  );
  // Internal shapes cross these exchanges, so they use objectCodec (what JSON gives back, in
  // binary where it can) whatever the job's default codec.
  const shardTops = scored
    .keyBy((s) => s.shard, { name: `${name}:by-shard`, codec: objectCodec() })
    .process<ShardTop<K, V>>(shardTopN<K, V>(n), { name: `${name}:shard`, uid: uid('shard'), onError: options.onError });
  return shardTops.keyBy(() => 0, { name: `${name}:to-merge`, codec: objectCodec() }).process<TopNUpsert<K, V>>(mergeTopN<K, V>(n), { name, uid: options.uid, onError: options.onError });
}
