/**
 * What every Nexmark query job shares: its input and its output, both chosen by job parameters, so
 * the same module runs on generated events or on files and logs holding them.
 *
 * Parameters (strings, as `--param name=value` gives them):
 *   source        generator (default) | jsonl | log
 *   events        events in total (default 100 000)          generator only
 *   partitions    source partitions (default 2)               generator only
 *   seed          (default 1)                                 generator only
 *   disorderMs    bounded disorder, ms (default 0)            generator only
 *   eventsPerSec  event-time rate (default 10 000)            generator only
 *   files         comma-separated JSON-lines files, one per partition (source=jsonl)
 *   logDir        an embedded log's directory (source=log)
 *   watermarkMs   bound of the bounded-out-of-orderness watermarks (default 4000, the suite's DDL)
 *   maxDriftMs    watermark alignment between the partitions (default: weir's, 30 000; 0: off)
 *   sink          collect (default: rows come back in the job's result) | discard (count only) | file
 */
import type { StreamEnv } from '../api/job.ts';
import type { DataStream } from '../api/stream.ts';
import { jsonLinesSource } from '../connectors/jsonl-file.ts';
import { logSource } from '../connectors/embedded-log/source.ts';
import { collect, fileSink } from '../connectors/sinks.ts';
import { nexmarkSource } from '../connectors/nexmark/source.ts';
import { AUCTION, BID, PERSON, type Auction, type Bid, type NexmarkEvent, type Person } from '../connectors/nexmark/model.ts';
import type { SinkSpec, SourceSpec } from '../connectors/types.ts';
import { WeirError } from '../errors.ts';
import { WatermarkStrategy } from '../time/watermarks.ts';
import { limits } from '../limits.ts';

export const nexmarkWatermarkMsDefault = 4_000;

export function nexmarkSourceSpec(env: StreamEnv): SourceSpec<NexmarkEvent> {
  const source = env.params.source ?? 'generator';
  switch (source) {
    case 'generator':
      return nexmarkSource({
        count: env.numberParam('events', 100_000),
        partitions: env.numberParam('partitions', 2),
        seed: env.numberParam('seed', 1),
        outOfOrderMaxMs: env.numberParam('disorderMs', 0),
        eventsPerSec: env.numberParam('eventsPerSec', 10_000),
      });
    case 'jsonl': {
      const files = (env.params.files ?? '').split(',').filter((f) => f !== '');
      if (files.length === 0) throw new WeirError('WEIR_CONFIG', 'nexmark: source=jsonl needs --param files=<file>,<file>…');
      return jsonLinesSource<NexmarkEvent>({ path: files });
    }
    case 'log': {
      const dir = env.params.logDir;
      if (!dir) throw new WeirError('WEIR_CONFIG', 'nexmark: source=log needs --param logDir=<dir>');
      return logSource<NexmarkEvent>({ dir });
    }
    default:
      throw new WeirError('WEIR_CONFIG', `nexmark: source must be generator, jsonl or log, not ${JSON.stringify(source)}`);
  }
}

const rowOfType = ['person', 'auction', 'bid'] as const;

/**
 * The event time of a record read as a Nexmark event, or undefined when it is not one (no valid
 * event_type, or its row missing): such a record goes to the dead letters ("missing timestamp",
 * with its partition and offset) instead of failing the job or vanishing in the queries' filters.
 */
export function nexmarkTimestampOrMissing(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const type = (value as { event_type?: unknown }).event_type;
  if (type !== 0 && type !== 1 && type !== 2) return undefined;
  const row = (value as Record<string, unknown>)[rowOfType[type]];
  if (typeof row !== 'object' || row === null) return undefined;
  return (row as { dateTime?: unknown }).dateTime as number | undefined;
}

/** All events, with event time on `dateTime` and watermarks `watermarkMs` behind the largest seen. */
export function nexmarkInput(env: StreamEnv): DataStream<NexmarkEvent> {
  const boundMs = env.numberParam('watermarkMs', nexmarkWatermarkMsDefault);
  const maxDriftMs = env.numberParam('maxDriftMs', limits.watermarkAlignmentDriftMsDefault);
  // Typed as number for the strategy; an undefined (not an event) is a bad timestamp, dead-lettered.
  const strategy = WatermarkStrategy.boundedOutOfOrderness<NexmarkEvent>(boundMs).withTimestampAssigner((e) => nexmarkTimestampOrMissing(e) as number);
  return env.source(nexmarkSourceSpec(env), {
    name: 'nexmark',
    watermarks: maxDriftMs > 0 ? strategy.withWatermarkAlignment('nexmark', maxDriftMs) : strategy.withoutWatermarkAlignment(),
  });
}

/** The DDL's views: the persons, auctions and bids of the event stream. */
export const personsOf = (events: DataStream<NexmarkEvent>): DataStream<Person> =>
  events.filter((e) => e.event_type === PERSON, { name: 'persons' }).map((e) => e.person!, { name: 'person' });
export const auctionsOf = (events: DataStream<NexmarkEvent>): DataStream<Auction> =>
  events.filter((e) => e.event_type === AUCTION, { name: 'auctions' }).map((e) => e.auction!, { name: 'auction' });
export const bidsOf = (events: DataStream<NexmarkEvent>): DataStream<Bid> =>
  events.filter((e) => e.event_type === BID, { name: 'bids' }).map((e) => e.bid!, { name: 'bid' });

/** The query's sink, named after the query: its rows are `result.results[query]` with sink=collect. */
export function nexmarkSink<T>(env: StreamEnv, query: string): SinkSpec<T> {
  const sink = env.params.sink ?? 'collect';
  switch (sink) {
    case 'collect':
      return collect<T>(query);
    case 'discard':
      return discardSink<T>(query);
    case 'file':
      return fileSink<T>({ path: `${query}.jsonl`, name: query });
    default:
      throw new WeirError('WEIR_CONFIG', `nexmark: sink must be collect, discard or file, not ${JSON.stringify(sink)}`);
  }
}

/** Counts rows and keeps none (the suite's blackhole); its result is the count per worker. */
function discardSink<T>(name: string): SinkSpec<T> {
  return {
    kind: 'discard',
    name,
    open() {
      let rows = 0;
      return { write: () => void rows++, flush() {}, close() {}, result: () => [rows] };
    },
  };
}
