// JSON-lines records keyed across workers, some lines longer than an exchange frame carries.
// `maxLineBytes` sets the source's own limit; without it the source refuses what cannot cross.
import { defineJob } from '../../src/api/index.ts';
import { collect, jsonLinesSource } from '../../src/connectors/index.ts';

export default defineJob((env) => {
  env.deadLetterTo(collect('dlq'));
  const maxLineBytes = env.params.maxLineBytes === undefined ? undefined : Number(env.params.maxLineBytes);
  env
    .source(jsonLinesSource<{ k: number; pad: string }>({ path: env.params.files, maxLineBytes }), { name: 'lines' })
    .keyBy((r) => r.k, { name: 'by-k' })
    .process<number>((r, ctx) => ctx.emit(r.k), { name: 'keys' })
    .sinkTo(collect('keys'));
});
