// A codec of a user's own with `copy`: it marks what it copied and what it decoded, so a test sees
// which way each record went. Even records are copied when they stay on their worker; odd ones are
// left to the bytes (notCopied), as are records that go to the other worker.
import { defineJob, notCopied, type Codec } from '../../src/index.ts';
import { collect } from '../../src/connectors/index.ts';
import { listSource } from './list-source.ts';

interface Numbered {
  k: number;
  n: number;
  via?: string;
}

const marking: Codec<Numbered> = {
  name: 'marking',
  encode(value, u8, _dv, offset, maxBytes) {
    const bytes = Buffer.from(JSON.stringify({ k: value.k, n: value.n }));
    if (bytes.length > maxBytes) return -bytes.length;
    u8.set(bytes, offset);
    return bytes.length;
  },
  decode: (u8, _dv, offset, length) => ({ ...(JSON.parse(Buffer.from(u8.subarray(offset, offset + length)).toString()) as Numbered), via: 'bytes' }),
  copy(value, _recordBytesMax, size) {
    if (value.n % 2 === 1) return notCopied;
    size.bytes = 24;
    return { k: value.k, n: value.n, via: 'copy' };
  },
};

export default defineJob((env) => {
  const partitions = [0, 1].map((p) => Array.from({ length: 1_000 }, (_, i) => ({ k: i % 13, n: p * 1_000 + i })));
  env
    .source(listSource<Numbered>(partitions, { bounded: true }), { name: 'numbers' })
    .keyBy((r) => r.k, { name: 'by-k', codec: marking })
    .process<string>((r, ctx) => ctx.emit(`${r.n}:${r.via}`), { name: 'seen' })
    .sinkTo(collect('seen'));
});
