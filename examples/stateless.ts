// The stateless pipeline of the end-to-end benchmark: generator → map → filter → keyBy → sink.
// Records cross workers at keyBy in a fixed-layout struct codec (the fastest codec; --param codec=json
// for JSON, --param codec=object for objectCodec, to compare).
// Run: node bin/weir.mjs run examples/stateless.ts --param count=2000000
import { defineJob } from '../src/api/index.ts';
import { jsonCodec, structCodec } from '../src/channel/codec.ts';
import { objectCodec } from '../src/channel/object-codec.ts';
import { generator, generatorEventFields } from '../src/connectors/index.ts';
import type { SinkSpec } from '../src/connectors/types.ts';

/** Counts what reaches it and keeps nothing: the sink of a throughput benchmark. */
const discard: SinkSpec<unknown> = {
  kind: 'discard',
  name: 'discard',
  open() {
    let records = 0;
    return { write: () => void records++, flush() {}, close() {}, result: () => [records] };
  },
};

const eventCodec = structCodec(generatorEventFields);

export default defineJob(
  (env) => {
    env
      .source(generator({ partitions: env.numberParam('partitions', 2), count: env.numberParam('count', 2_000_000), keys: 10_000, seed: 42 }), { name: 'events' })
      .map((e) => ({ key: e.key, seq: e.seq, value: e.value * 1.1, ts: e.ts }), { name: 'scale' })
      .filter((e) => e.value < 1000, { name: 'in-range' })
      .keyBy((e) => e.key, { codec: env.params.codec === 'json' ? jsonCodec : env.params.codec === 'object' ? objectCodec() : (eventCodec as never), name: 'by-key' })
      .sinkTo(discard);
  },
  { name: 'stateless' },
);
