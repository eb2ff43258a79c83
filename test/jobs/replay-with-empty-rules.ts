// Orders from a JSON-lines file beside a rules stream whose file is empty (as a job whose rules
// have not changed yet reads it), for `weir bench --replay`: the empty partition offers nothing.
// Params: orders, rules (file paths).
import { defineJob } from '../../src/api/index.ts';
import { collect, jsonLinesSource } from '../../src/connectors/index.ts';

export default defineJob((env) => {
  env.source(jsonLinesSource<{ id: string }>({ path: env.params.orders }), { name: 'orders' }).map((o) => o.id).sinkTo(collect('ids'));
  env.source(jsonLinesSource<unknown>({ path: env.params.rules }), { name: 'rules' }).sinkTo(collect('rules'));
});
