import * as zlib from 'node:zlib';

/**
 * CRC-32 (IEEE 802.3, the one zlib, gzip and PNG use) of `data`.
 *
 * `zlib.crc32` is native and several times faster, but it only exists from Node 20.15 / 22.2 on
 * (package.json allows 20.6), so older runtimes fall back to the table-driven version below.
 * Both give the same numbers; a test checks that.
 */
export const crc32: (data: Uint8Array) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? (data) => zlib.crc32(data) : crc32Js;

let table: Int32Array | undefined;

function makeTable(): Int32Array {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
}

/** The portable table-driven CRC-32 (one table lookup per byte). Exported for tests. */
export function crc32Js(data: Uint8Array): number {
  const t = (table ??= makeTable());
  let c = -1;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
