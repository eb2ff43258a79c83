// A JSON-lines file source with malformed lines; dead letters collected.
import { defineJob } from '../../src/api/index.ts';
import { collect, jsonLinesSource } from '../../src/connectors/index.ts';

export default defineJob((env) => {
  env.deadLetterTo(collect('dlq'));
  env
    .source(jsonLinesSource<{ id: number }>({ path: env.params.files.split(',') }), { name: 'lines' })
    .map((r) => r.id * 10)
    .sinkTo(collect('ids'));
});
