// A job that dead-letters records and fails on purpose, for the guarantees of its output and dead
// letters across failures, restarts and reruns. JSON-lines files of {"id": n} (malformed lines are
// dead-lettered by the source) → inject faults → keyBy → a running count per key.
//
// Parameters: files (comma-separated, a partition each), out (a fileSink path; without it
// collect('out')), failAt (an id at which the job fails every time, in the operator chained to the
// source; the sink then takes that operator's output directly, without the keyBy), faults
// ("12000,30000": the ids at which the job fails once each) with markers (a directory where each
// fault records that it happened), dlq (a directory: dead letters go to a transactionalFileSink
// there; without it, the default dead-letter file), dlqResults (a name: dead letters go to a
// resultsSink of that name).
import { join } from 'node:path';
import { defineJob } from '../../src/api/index.ts';
import { collect, fileSink, jsonLinesSource, resultsSink, transactionalFileSink } from '../../src/connectors/index.ts';
import { failsFirstTime } from './fails-first-time.ts';

function failOnce(marker: string, id: number): void {
  if (failsFirstTime(marker)) throw new Error(`injected failure at id ${id}`);
}

export default defineJob((env) => {
  const failAt = env.numberParam('failAt', -1);
  const faults = (env.params.faults ?? '').split(',').filter(Boolean).map(Number);
  if (env.params.dlq) env.deadLetterTo(transactionalFileSink({ dir: env.params.dlq }));
  if (env.params.dlqResults) env.deadLetterTo(resultsSink(env.params.dlqResults));
  const out = env.params.out ? fileSink<{ id: number; n?: number }>({ path: env.params.out }) : collect<{ id: number; n?: number }>('out');
  const checked = env
    .source(jsonLinesSource<{ id: number }>({ path: env.params.files.split(',') }), { name: 'lines' })
    .map((r) => {
      if (r.id === failAt) throw new Error(`record ${r.id} always fails`);
      const fault = faults.indexOf(r.id);
      if (fault >= 0) failOnce(join(env.params.markers, `fault-${fault}`), r.id);
      return r;
    }, { name: 'inject' });
  if (failAt >= 0) {
    checked.sinkTo(out);
    return;
  }
  checked
    .keyBy((r) => r.id % 10, { name: 'by-key' })
    .process<{ id: number; n: number }>((r, ctx) => {
      const seen = ctx.valueState<number>('seen');
      const n = (seen.value() ?? 0) + 1;
      seen.update(n);
      ctx.emit({ id: r.id, n });
    }, { name: 'count' })
    .sinkTo(out);
}, { name: 'dead-letters' });
