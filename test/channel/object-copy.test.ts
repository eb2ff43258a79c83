// objectCodec's copy, taken by a worker's records to itself: whatever it copies is what the bytes
// would have given back (JSON's round trip), sharing nothing with the original; whatever it cannot
// be sure of — an encode error, a size near the exchange's limit, a form it does not copy — it
// leaves to the bytes.
import { describe, expect, it } from 'vitest';
import { notCopied } from '../../src/channel/codec.ts';
import { objectCodec } from '../../src/channel/object-codec.ts';
import { exchangeRecordBytesMax } from '../../src/limits.ts';

const recordBytesMax = exchangeRecordBytesMax(1 << 20);

/** What the bytes give back, how many they were, and whether they were objectCodec's binary form of a record. */
function throughBytes(value: unknown): { value: unknown; bytes: number; binary: boolean } {
  const writer = objectCodec();
  const reader = objectCodec();
  const u8 = new Uint8Array(recordBytesMax);
  const dv = new DataView(u8.buffer);
  const n = writer.encode(value, u8, dv, 0, u8.length, recordBytesMax);
  expect(n).toBeGreaterThan(0);
  return { value: reader.decode(u8, dv, 0, n), bytes: n, binary: u8[0] === 1 };
}

const size = { bytes: 0 };

/** Equal, key order included, and +0 told from -0 (toEqual uses Object.is for numbers). */
function expectSame(actual: unknown, expected: unknown): void {
  expect(actual).toEqual(expected);
  expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
  const keys = (v: unknown): unknown => (Array.isArray(v) ? v.map(keys) : v !== null && typeof v === 'object' ? Object.entries(v).map(([k, x]) => [k, keys(x)]) : v);
  expect(keys(actual)).toEqual(keys(expected));
}

/** A random value of the kinds objectCodec writes in binary, and the edges of JSON's rules. */
function randomValue(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth < 3 ? 12 : 9));
  switch (pick) {
    case 0:
      return Math.floor(next() * 2_000_000) - 1_000_000;
    case 1:
      return next() * 1e12 - 5e11;
    case 2:
      return [-0, 0, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31) - 1, Number.MAX_VALUE, 5e-324][Math.floor(next() * 9)];
    case 3:
      return ['', 'a', 'Google', 'ünïcödé', '😀', '\ud800 lone', 'x'.repeat(Math.floor(next() * 100))][Math.floor(next() * 7)];
    case 4:
      return next() < 0.5;
    case 5:
    case 6:
      return null;
    case 7:
      return Math.floor(next() * 100);
    case 8:
      return String(Math.floor(next() * 1e6));
    case 9:
    case 10: {
      const keys = ['id', 'price', 'name', '2', '10', 'extra', 'dateTime'].filter(() => next() < 0.6);
      const out: Record<string, unknown> = {};
      for (const k of keys) out[k] = randomValue(next, depth + 1);
      return out;
    }
    default:
      return Array.from({ length: Math.floor(next() * 5) }, () => randomValue(next, depth + 1));
  }
}

describe("objectCodec's copy", () => {
  it('gives what the bytes give back, for 5 000 random records and values (keys in order, -0 as 0, NaN and ±Infinity as null), and for a record a size at least its bytes', () => {
    const codec = objectCodec();
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    let copied = 0;
    let binary = 0;
    for (let i = 0; i < 5_000; i++) {
      const value = i % 3 === 0 ? randomValue(next, 0) : { auction: i, bid: randomValue(next, 1), at: randomValue(next, 1) };
      const copy = codec.copy!(value, recordBytesMax, size);
      if (copy === notCopied) continue;
      copied++;
      const bytes = throughBytes(value);
      expectSame(copy, bytes.value);
      if (bytes.binary) expect(size.bytes).toBeGreaterThanOrEqual(bytes.bytes);
      binary += bytes.binary ? 1 : 0;
    }
    expect(copied).toBe(5_000); // every one of these is plain data, well within the limit
    expect(binary).toBeGreaterThan(2_000);
  });

  it('shares nothing with the original: changing it afterwards changes no copy', () => {
    const codec = objectCodec();
    const record = { id: 1, bid: { price: 10, tags: ['a', 'b'] }, list: [{ x: 1 }] };
    const copy = codec.copy!(record, recordBytesMax, size) as typeof record;
    record.id = 2;
    record.bid.price = 20;
    record.bid.tags.push('c');
    record.list[0].x = 9;
    expect(copy).toEqual({ id: 1, bid: { price: 10, tags: ['a', 'b'] }, list: [{ x: 1 }] });
    expect(copy.bid).not.toBe(record.bid);
  });

  it('a record of a null prototype comes back an ordinary object, as from the bytes', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.a = 1;
    const copy = objectCodec().copy!(bare, recordBytesMax, size);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expectSame(copy, throughBytes(bare).value);
  });

  it('leaves to the bytes what they decide: undefined, Dates, class instances, toJSON, BigInt, cycles, deep nesting, __proto__ keys, functions', () => {
    const codec = objectCodec();
    class Point {
      x = 1;
    }
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    const protoKey = JSON.parse('{"__proto__": 1, "a": 2}') as unknown;
    const cases: unknown[] = [
      undefined,
      { a: undefined },
      [1, undefined],
      new Date(0),
      { at: new Date(0) },
      new Point(),
      { p: new Point() },
      { toJSON: () => 1 },
      { a: { toJSON: () => 1 } },
      Object.assign([1], { toJSON: () => 2 }),
      10n,
      { n: 10n },
      cycle,
      protoKey,
      { f: () => 1 },
      { a: { b: { c: { d: { e: 1 } } } } }, // deeper than the codec's binary form nests
    ];
    for (const value of cases) expect(codec.copy!(value, recordBytesMax, size), String(value)).toBe(notCopied);
  });

  it('copies only what surely fits the limit it is given in either form, binary or JSON; at the edge the bytes decide', () => {
    const codec = objectCodec();
    const limit = 984;
    // JSON at most: {} 2, per key its quotes, colon and comma 4 + 6 a char ("k" 10, "pad" 22), a
    // number 24, a string 2 + 6 a char: 60 + 6 × 154 = 984. Binary at most: 7 + "k\0pad" (5) + 9 + 5 + 3 × 154 = 488.
    const fits = { k: 1, pad: 'x'.repeat(154) };
    const over = { k: 1, pad: fits.pad + 'x' };
    expect(codec.copy!(fits, limit, size)).toEqual(fits);
    expect(size.bytes).toBe(488);
    expect(codec.copy!(over, limit, size)).toBe(notCopied);
    expect(codec.copy!('x'.repeat(163), limit, size)).toBe('x'.repeat(163)); // 2 + 6 × 163 = 980
    expect(codec.copy!('x'.repeat(164), limit, size)).toBe(notCopied);
  });
});
