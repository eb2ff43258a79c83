/**
 * Top-K keys per window: `keyed.window(assigner).topK(k, aggregate, by?)`.
 *
 * Three stages, so that no worker holds every key: the aggregate per key and window on the worker
 * that owns the key (an ordinary keyed window); each worker's per-key results of a window ranked
 * into a partial top-K of that worker (a shard of a non-keyed window over the results, which keep
 * the window they were computed in); and one merge of the partials per window on one worker.
 */
import { WeirError } from '../errors.ts';
import type { AggregateFunction } from '../functions/contracts.ts';
import type { DataStream, OperatorOptions } from './stream.ts';
import type { WindowedStream } from './windowed-stream.ts';
import { AllWindowedStream, type WindowRanking } from './all-windowed-stream.ts';
import { CarriedWindows } from '../time/window-all.ts';
import type { Window, WindowAssigner } from '../time/windows.ts';

/** A key's result of one window, on its way to the ranking. */
interface KeyResult<K, R> {
  key: K;
  value: R;
  start: number;
  end: number;
}

export function keyedWindowTopK<T, K, W extends Window, ACC, R>(
  windowed: WindowedStream<T, K, W>,
  settings: { allowedLatenessMs: number; triggerReplaced: boolean; assigner: WindowAssigner<T, W> },
  k: number,
  aggregate: AggregateFunction<T, ACC, R>,
  by: ((result: R) => number) | undefined,
  options: OperatorOptions,
): DataStream<WindowRanking<{ key: K; value: R }>> {
  const name = options.name ?? `${settings.assigner.description}.topK(${k})`;
  if (settings.allowedLatenessMs > 0) {
    // A late firing would send a key's result again, and a partial top-K of k entries cannot take a
    // key back out once a lower result replaces it.
    throw new WeirError('WEIR_JOB_DEFINITION', `${name}: topK per window does not take allowedLateness (a key's result would change after it was ranked); use keyBy(…).topN(…) for rankings that change`);
  }
  if (settings.triggerReplaced) {
    throw new WeirError('WEIR_JOB_DEFINITION', `${name}: topK per window ranks each key's one final result of a window, so it keeps the assigner's own trigger (early firings would rank a key twice)`);
  }
  const score = by ?? ((result: R) => result as unknown as number);
  const perKey = windowed.aggregate<ACC, R, KeyResult<K, R>>(
    aggregate,
    (key, window, [value], out) => out.collect({ key, value, start: window.start, end: window.end }),
    { name: `${name}:per-key`, uid: options.uid === undefined ? undefined : `${options.uid}:per-key`, onError: options.onError },
  );
  return new AllWindowedStream<KeyResult<K, R>, Window>(perKey, new CarriedWindows(settings.assigner.description)).rank<{ key: K; value: R }>(
    k,
    (r) => score(r.value),
    (r) => r.key,
    (r) => ({ key: r.key, value: r.value }),
    name,
    options,
  );
}
