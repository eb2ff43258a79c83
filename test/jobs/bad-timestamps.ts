// Records whose event time is missing, not a number, negative or absurdly far in the future go to
// the dead letters with the reason; the others go on. With `--param throwAt=N` the timestamp
// assigner throws on record N instead.
import { defineJob, WatermarkStrategy } from '../../src/api/index.ts';
import { collect } from '../../src/connectors/index.ts';
import { listSource } from './list-source.ts';

interface Event {
  id: number;
  ts?: unknown;
}

export const records: Event[] = [
  { id: 0, ts: 1_000 },
  { id: 1 },
  { id: 2, ts: Number.NaN },
  { id: 3, ts: -5 },
  { id: 4, ts: 1e15 },
  { id: 5, ts: '2024-01-01' },
  { id: 6, ts: 2_000 },
];

export default defineJob((env) => {
  const throwAt = env.numberParam('throwAt', -1);
  env.deadLetterTo(collect('dead'));
  env
    .source(listSource([records], { bounded: true }), {
      name: 'events',
      watermarks: WatermarkStrategy.boundedOutOfOrderness<Event>(0).withTimestampAssigner((e) => {
        if (e.id === throwAt) throw new Error(`cannot read the time of record ${e.id}`);
        return e.ts as number;
      }).withMaxFuture(24 * 3600 * 1000),
    })
    .map((e) => ({ id: e.id }))
    .sinkTo(collect('good'));
});
