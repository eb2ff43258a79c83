// objectCodec, the default codec at exchanges: whatever it is given comes out as jsonCodec would
// give it back, in binary for flat plain objects, and a reader learns record shapes from the
// records alone (each thread has its own codec).
import { describe, expect, it } from 'vitest';
import { WeirError } from '../../src/errors.ts';
import { jsonCodec } from '../../src/channel/codec.ts';
import { objectCodec } from '../../src/channel/object-codec.ts';

function region(bytes = 1 << 16) {
  const sab = new SharedArrayBuffer(bytes + 64);
  return { u8: new Uint8Array(sab, 64, bytes), dv: new DataView(sab, 64, bytes) };
}

/** Encodes with one codec and decodes with another (two threads), overwriting the bytes after decoding. */
function throughRing(values: unknown[]): unknown[] {
  const writer = objectCodec();
  const reader = objectCodec();
  const { u8, dv } = region();
  const out: unknown[] = [];
  for (const value of values) {
    const n = writer.encode(value, u8, dv, 8, u8.length - 8);
    expect(n).toBeGreaterThan(0);
    out.push(reader.decode(u8, dv, 8, n));
    u8.fill(0xee);
  }
  return out;
}

const asJson = (v: unknown) => JSON.parse(JSON.stringify(v));

describe('objectCodec', () => {
  it('gives back what JSON gives back, for flat records, nested ones and values that are not objects', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const bare = Object.create(null) as Record<string, unknown>;
    bare.a = 1;
    bare.b = 'two';
    const values: unknown[] = [
      { auction: 1004, bidder: 1001, price: 74926, channel: 'channel-6531', dateTime: 1699999997783, extra: 'x' },
      { auction: 1005, bidder: 1002, price: 1.5, channel: 'Zoë — 東京 🚀 \u0000 "q"', dateTime: -0, extra: '' },
      { n: NaN, inf: Infinity, ninf: -Infinity, neg: -2147483648, big: 2 ** 31, frac: -3e-7, t: true, f: false, z: null },
      { dropped: undefined, kept: 1 },
      { fn: () => 1, kept: 2 },
      { nested: { list: [1, 2.5, null, 'x'] }, at: new Date(0) },
      { 2: 'two', 1: 'one', b: 'b', a: 'a' },
      new Point(1, 2),
      bare,
      { toJSON: () => ({ replaced: true }) },
      [1, { a: 2 }],
      'a string',
      42,
      null,
      true,
      {},
      JSON.parse('{"__proto__": 1, "x": 2}'),
    ];
    const out = throughRing(values);
    for (let i = 0; i < values.length; i++) {
      expect(out[i]).toEqual(asJson(values[i]));
      expect(JSON.stringify(out[i])).toBe(JSON.stringify(values[i])); // same keys in the same order
    }
    // Own __proto__ keys stay own keys, as JSON.parse makes them.
    expect(Object.getPrototypeOf(out[out.length - 1])).toBe(Object.prototype);
  });

  it('records of many shapes, interleaved, each decoded with its own keys', () => {
    const values = Array.from({ length: 600 }, (_, i) => ({ [`k${i % 300}`]: i, shared: `v${i}`, [`z${i % 7}`]: i % 2 === 0 }));
    expect(throughRing(values)).toEqual(values.map(asJson));
  });

  it('answers −(bytes needed) when the record does not fit, and writes it whole with that much room', () => {
    const codec = objectCodec();
    const { u8, dv } = region();
    const shaped = [{ auction: 1004, channel: 'channel-6531', name: 'Zoë 東京' }, { side: 0, value: { auction: 7, url: 'https://x.test/' } }];
    for (const value of [{ s: 'é'.repeat(500), n: 1 }, { nested: { s: 'é'.repeat(500) } }, 'x'.repeat(300), ...shaped]) {
      for (const room of [10, 40]) {
        const need = codec.encode(value, u8, dv, 0, room);
        expect(need).toBeLessThan(0);
        expect(codec.encode(value, u8, dv, 0, -need)).toBe(-need);
        expect(objectCodec().decode(u8, dv, 0, -need)).toEqual(asJson(value));
      }
    }
    // Small records still go in binary when the room at hand was too short the first time.
    for (const value of shaped) {
      expect(codec.encode(value, u8, dv, 0, -codec.encode(value, u8, dv, 0, 10))).toBeGreaterThan(0);
      expect(u8[0]).toBe(1);
    }
  });

  it('string fields that repeat a few values, that are new every time, or not ASCII all come back as they went', () => {
    // Enough records for a field of new values to stop being looked up and to try again.
    const values = Array.from({ length: 40_000 }, (_, i) => ({
      day: `2026-12-0${i % 3}`,
      name: `person-${i}`,
      near: `ab${i % 7}`, // same length, one byte apart
      city: i % 2 === 0 ? 'Zoë' : '東京',
      mixed: i % 5 === 0 ? `new-${i}` : 'same',
      empty: '',
      // Past 32 chars strings take the native encoder: ASCII, and not.
      url: `https://www.nexmark.com/${'abcdefghij'.repeat(1 + (i % 5))}/item.htm?query=${i}`,
      text: `${'Zoë 東京 😀 '.repeat(4 + (i % 3))}${i}`,
    }));
    expect(throughRing(values)).toEqual(values.map(asJson));
  });

  it('fits a record in exactly the bytes it needs, and asks for exactly those with any less room, whatever its last field', () => {
    const codec = objectCodec();
    const { u8, dv } = region();
    const values: unknown[] = [
      { a: 'x', i32: 7 },
      { a: 'x', f64: 1.5 },
      { a: 'x', bool: true },
      { a: 'x', nil: null },
      { a: 'x', nan: NaN },
      { a: 1, s: 'ascii' },
      { a: 1, s: 'Zoë 東京' },
      { a: 1, s: '' },
      { a: 1, s: 'u'.repeat(40) },
      { a: 1, s: 'Zoë 東京 😀'.repeat(5) },
      { a: 1, nested: { b: 2, c: false } },
      { side: 1, value: { auction: 7, inner: { deep: null } } },
      { a: 1, list: [1, 'x', { b: 2 }, [true]] },
      { a: 1, list: [] },
    ];
    for (const value of values) {
      const need = codec.encode(value, u8, dv, 0, 4096);
      expect(u8[0]).toBe(1); // in binary
      for (let room = 0; room <= need + 2; room++) {
        u8.fill(0xee);
        expect(codec.encode(value, u8, dv, 8, room)).toBe(room < need ? -need : need);
        if (room < need) expect(u8.subarray(8 + room).every((b) => b === 0xee)).toBe(true); // nothing written past the room
        else expect(objectCodec().decode(u8, dv, 8, need)).toEqual(asJson(value));
      }
    }
  });

  it("writes what is not a small flat record exactly as jsonCodec does, so no record takes more bytes than its JSON past 512", () => {
    const { u8, dv } = region();
    const json = region();
    const small = { k: 3, pad: 'x'.repeat(100) };
    expect(objectCodec().encode(small, u8, dv, 0, 4096)).toBeGreaterThan(jsonCodec.encode(small, json.u8, json.dv, 0, 4096)); // the key list and tags cost a few bytes
    expect(u8[0]).toBe(1);
    for (const value of [{ k: 3, pad: 'x'.repeat(960) }, { nested: [1, undefined] }, { at: new Date(0) }, { outer: { inner: { pad: 'x'.repeat(500) } } }, [1, 2], true, null, 'lone \ud800 surrogate', { s: 'lone \udfff' }, { s: `lone \ud800 ${'x'.repeat(40)}` }]) {
      const n = objectCodec().encode(value, u8, dv, 0, 4096);
      const m = jsonCodec.encode(value, json.u8, json.dv, 0, 4096);
      expect(n).toBe(m);
      expect(Buffer.from(u8.subarray(0, n)).equals(Buffer.from(json.u8.subarray(0, m)))).toBe(true);
      expect(objectCodec().decode(u8, dv, 0, n)).toEqual(asJson(value));
    }
  });

  it('numbers (9 bytes) and strings (shorter than their JSON) go in binary, and come back as JSON gives them back', () => {
    const { u8, dv } = region();
    const json = region();
    for (const value of [42, -0, 1e21, -1.5e-7, Number.MAX_VALUE, '', 'text', 'ünïcødé ∑ 😀', '"quoted"\n', 'x'.repeat(5000)]) {
      const n = objectCodec().encode(value, u8, dv, 0, 1 << 16);
      if (typeof value === 'number') expect(n).toBe(9);
      else expect(n).toBeLessThan(jsonCodec.encode(value, json.u8, json.dv, 0, 1 << 16));
      expect(u8[0]).toBe(typeof value === 'number' ? 2 : 3);
      expect(Object.is(objectCodec().decode(u8, dv, 0, n), asJson(value))).toBe(true);
    }
    for (const value of [NaN, Infinity]) {
      const n = objectCodec().encode(value, u8, dv, 0, 64);
      expect(Buffer.from(u8.subarray(0, n)).toString()).toBe('null');
    }
    expect(objectCodec().encode('x'.repeat(100), u8, dv, 0, 50)).toBe(-101);
  });

  it('records nested in records go in binary too, each field learning its own shapes, to a depth of 3', () => {
    const bid = (i: number) => ({ auction: 1000 + (i % 7), bidder: i, price: i * 1.5, channel: 'Google', dateTime: 1_700_000_000_000 + i, extra: '' });
    const person = (i: number) => ({ id: i, name: `p${i}`, emailAddress: null, dateTime: 1_700_000_000_000 + i });
    // [record, whether it goes in binary]
    const values: Array<[unknown, boolean]> = [];
    for (let i = 0; i < 300; i++) {
      values.push([{ side: i % 2, value: i % 2 === 0 ? bid(i) : person(i) }, true]); // a two-input operator's records
      values.push([{ event_type: i % 3, person: i % 3 === 0 ? person(i) : null, bid: i % 3 === 2 ? bid(i) : null }, true]); // Nexmark's events
      values.push([{ a: { b: { c: { d: i } } }, e: { f: `${i}` } }, true]); // three records deep
      values.push([{ a: { b: { c: { d: { e: i } } } } }, false]); // four
      values.push([{ pair: { left: bid(i), right: { at: new Date(i) } } }, false]); // a Date inside
    }
    const { u8, dv } = region();
    const json = region();
    const writer = objectCodec();
    const reader = objectCodec();
    for (const [value, binary] of values) {
      const n = writer.encode(value, u8, dv, 0, u8.length);
      expect(u8[0] === 1).toBe(binary);
      if (!binary) expect(n).toBe(jsonCodec.encode(value, json.u8, json.dv, 0, json.u8.length));
      const out = reader.decode(u8, dv, 0, n);
      expect(out).toEqual(asJson(value));
      expect(JSON.stringify(out)).toBe(JSON.stringify(value));
    }
  });

  it('arrays in records go in binary, and come back as JSON gives them back', () => {
    const bid = (i: number) => ({ auction: 7, bidder: i, price: i * 1.5, channel: 'Google', extra: 'é'.repeat(i % 3) });
    // [record, whether it goes in binary]
    const values: Array<[unknown, boolean]> = [
      [{ auction: 7, top: [bid(1), bid(2), bid(3)] }, true], // a batch's best bids
      [{ ids: [1, -0, 2.5, 2 ** 31, NaN, Infinity], names: ['a', '', 'Zoë 東京 😀', 'u'.repeat(40)], flags: [true, false, null] }, true],
      [{ empty: [], nested: [[1, [2]], []], mixed: [1, 'two', { three: 3 }, null] }, true],
      [{ sides: [{ side: 0, value: bid(4) }, { side: 1, value: { id: 9, name: null } }] }, true], // records of two shapes in one array
      [{ list: [1, undefined] }, false], // JSON writes null for it: JSON's own text is what comes back
      [{ list: [() => 1] }, false],
      [{ list: [new Date(0)] }, false],
      [{ list: Object.assign([1, 2], { toJSON: () => 'replaced' }) }, false],
      [{ list: [1, , 3] }, false], // a hole
      [{ a: [[[[1]]]] }, false], // deeper than 3
      [{ a: [[[1]]] }, true],
      [{ list: [1, 'x'], x: 1 }, true], // JSON leaves an array's other properties out; so does this
    ];
    (values[values.length - 1][0] as { list: unknown[] & { extra?: number } }).list.extra = 5;
    const { u8, dv } = region();
    const json = region();
    const writer = objectCodec();
    const reader = objectCodec();
    for (const [value, binary] of values) {
      const n = writer.encode(value, u8, dv, 0, u8.length, 4096);
      expect(u8[0] === 1, JSON.stringify(value)).toBe(binary);
      if (!binary) expect(n).toBe(jsonCodec.encode(value, json.u8, json.dv, 0, json.u8.length));
      const out = reader.decode(u8, dv, 0, n);
      expect(out).toEqual(asJson(value));
      expect(JSON.stringify(out)).toBe(JSON.stringify(value));
    }
  });

  it('goes as JSON when the binary form would not fit in the frame but the JSON does; in binary up to the frame, past 512 bytes', () => {
    const { u8, dv } = region();
    const json = region();
    const digits = { list: Array.from({ length: 100 }, (_, i) => i % 10) }; // a digit and a comma in JSON, 5 bytes in binary
    const jsonBytes = jsonCodec.encode(digits, json.u8, json.dv, 0, 4096);
    const binaryBytes = objectCodec().encode(digits, u8, dv, 0, 4096, 4096);
    expect(u8[0]).toBe(1);
    expect(binaryBytes).toBeGreaterThan(jsonBytes);
    for (const recordBytesMax of [jsonBytes, binaryBytes - 1]) {
      const codec = objectCodec();
      expect(codec.encode(digits, u8, dv, 0, 4096, recordBytesMax)).toBe(jsonBytes);
      expect(u8[0]).toBe('{'.charCodeAt(0));
      // With less room at hand than it needs, it asks for what the JSON needs, and writes that.
      expect(codec.encode(digits, u8, dv, 0, 10, recordBytesMax)).toBe(-jsonBytes);
      expect(codec.encode(digits, u8, dv, 0, jsonBytes, recordBytesMax)).toBe(jsonBytes);
      expect(objectCodec().decode(u8, dv, 0, jsonBytes)).toEqual(digits);
    }
    // A long record: binary when the frame takes it, whatever the room at hand first.
    const best = { auction: 7, top: Array.from({ length: 10 }, (_, i) => ({ bidder: i, url: `https://www.nexmark.com/${'x'.repeat(60)}/${i}` })) };
    const codec = objectCodec();
    const need = -codec.encode(best, u8, dv, 0, 100, 1 << 18);
    expect(need).toBeGreaterThan(512);
    expect(codec.encode(best, u8, dv, 0, need, 1 << 18)).toBe(need);
    expect(u8[0]).toBe(1);
    expect(objectCodec().decode(u8, dv, 0, need)).toEqual(best);
  });

  it('an array whose count runs past the bytes is a WEIR_DECODE error', () => {
    const { u8, dv } = region(256);
    const n = objectCodec().encode({ list: [1, 2] }, u8, dv, 0, 256);
    const at = 7 + 'list'.length; // the array's tag
    expect(u8[at]).toBe(7);
    dv.setUint32(at + 1, 1_000_000, true);
    expect(() => objectCodec().decode(u8, dv, 0, n)).toThrow(expect.objectContaining({ code: 'WEIR_DECODE' }));
    dv.setUint32(at + 1, 3, true);
    expect(() => objectCodec().decode(u8, dv, 0, n)).toThrow(expect.objectContaining({ code: 'WEIR_DECODE' }));
  });

  it('a nested record whose length does not match its fields is a WEIR_DECODE error', () => {
    const { u8, dv } = region();
    const n = objectCodec().encode({ side: 1, value: { a: 1, b: 'x' } }, u8, dv, 0, 4096);
    const at = u8.indexOf(6, 7 + 'side\0value'.length); // the nested record's tag
    dv.setUint32(at + 1, dv.getUint32(at + 1, true) - 1, true);
    expect(() => objectCodec().decode(u8, dv, 0, n)).toThrow(expect.objectContaining({ code: 'WEIR_DECODE' }));
  });

  it('a shape whose records keep going as JSON (a Date field) goes as JSON without trying, and tries again now and then: every record still decodes as JSON would', () => {
    const values = Array.from({ length: 600 }, (_, i) => ({ side: i % 2, value: i < 300 || i % 7 === 0 ? new Date(i) : i }));
    expect(throughRing(values)).toEqual(values.map(asJson));
  });

  it("fails on exactly what jsonCodec fails on, with jsonCodec's error", () => {
    const { u8, dv } = region();
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    for (const value of [{ big: 1n }, cyclic, undefined]) {
      const codec = objectCodec();
      const error = (() => {
        try {
          codec.encode(value, u8, dv, 0, 4096);
        } catch (err) {
          return err as WeirError;
        }
        throw new Error('expected an encode error');
      })();
      expect(error).toBeInstanceOf(WeirError);
      expect(error.code).toBe('WEIR_ENCODE');
      expect(() => jsonCodec.encode(value, u8, dv, 0, 4096)).toThrow(error.message);
    }
  });

  it('bytes it did not write are a WEIR_DECODE error', () => {
    const { u8, dv } = region();
    u8.set([7, 1, 2, 3], 0);
    expect(() => objectCodec().decode(u8, dv, 0, 4)).toThrow(expect.objectContaining({ code: 'WEIR_DECODE' }));
  });
});
