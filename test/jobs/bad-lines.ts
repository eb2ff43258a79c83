// A JSON-lines file with bad lines: parse → keyBy → keyed check → sink, dead letters collected.
// `parse`, `key`, `check` set those operators' onError (unset: the job's). With route=1 a
// non-keyed process sends records to a side output and to the dead letters itself; with timers=1
// a keyed function's onTimer throws for key "b" and dead-letters key "c" itself.
import { defineJob } from '../../src/api/index.ts';
import type { ErrorPolicy } from '../../src/api/graph.ts';
import { collect, jsonLinesSource } from '../../src/connectors/index.ts';

type Row = { id: number; user?: string; kind?: string };

export default defineJob((env) => {
  const policy = (name: string) => env.params[name] as ErrorPolicy | undefined;
  env.deadLetterTo(collect('dlq'));
  const rows = env
    .source(jsonLinesSource<unknown>({ path: env.params.files.split(',') }), { name: 'lines' })
    .map((r) => {
      if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new TypeError(`not an object: ${JSON.stringify(r)}`);
      return r as Row;
    }, { name: 'parse', onError: policy('parse') });
  if (env.params.route === '1') {
    const routed = rows.process<Row>((r, ctx) => {
      if (r.kind === 'audit') ctx.output('audit', r);
      else if (r.user === undefined) ctx.deadLetter(r, 'no user');
      else ctx.emit(r);
    }, { name: 'route' });
    routed.sideOutput<Row>('audit').map((r) => r.id, { name: 'audit-id' }).sinkTo(collect('audit'));
    routed.map((r) => r.id, { name: 'id' }).sinkTo(collect('ids'));
    return;
  }
  if (env.params.timers === '1') {
    rows
      .keyBy((r) => r.user, { name: 'by-user' })
      .process<number>({
        processElement: (_r, ctx) => ctx.timerService.registerEventTimeTimer(1000),
        onTimer: (timestampMs, ctx) => {
          if (ctx.key === 'b') throw new Error('no timer for b');
          if (ctx.key === 'c') ctx.deadLetter({ key: ctx.key }, 'c is retired');
          else ctx.emit(timestampMs);
        },
      }, { name: 'timers' })
      .sinkTo(collect('ids'));
    return;
  }
  rows
    .keyBy((r) => r.user, { name: 'by-user', onError: policy('key') })
    .process<number>((r, ctx) => {
      if (r.id === 13) throw new RangeError('unlucky 13');
      ctx.emit(r.id);
    }, { name: 'check', onError: policy('check') })
    .sinkTo(collect('ids'));
});
