// The byte-key index that de-duplicates change logs and finds a merge's changed keys.
import { describe, expect, it } from 'vitest';
import { ByteKeyIndex } from '../../src/util/byte-key-index.ts';

const bytes = (s: string) => Buffer.from(s, 'utf8');

describe('ByteKeyIndex', () => {
  it('gives each distinct key one id, in first-added order, and finds keys inside larger buffers', () => {
    const index = new ByteKeyIndex(2);
    expect(index.add(bytes('alpha'))).toBe(0);
    expect(index.add(bytes('beta'))).toBe(1);
    expect(index.add(bytes('alpha'))).toBe(0);
    // The same bytes at another place of another buffer.
    const framed = bytes('xxalphayy');
    expect(index.find(framed, 2, 7)).toBe(0);
    expect(index.add(framed, 2, 7)).toBe(0);
    // A prefix, an extension and the empty key are other keys.
    expect(index.find(bytes('alph'))).toBe(-1);
    expect(index.find(bytes('alphas'))).toBe(-1);
    expect(index.add(new Uint8Array(0))).toBe(2);
    expect(index.size).toBe(3);
    expect(Buffer.from(index.key(1)).toString()).toBe('beta');
  });

  it('copies what it adds: the caller may reuse its buffer', () => {
    const index = new ByteKeyIndex();
    const scratch = bytes('key-1');
    index.add(scratch);
    scratch.write('key-2');
    expect(index.find(bytes('key-1'))).toBe(0);
    expect(index.find(bytes('key-2'))).toBe(-1);
  });

  it('keeps every key and id through its growth (table, ids and key bytes)', () => {
    const index = new ByteKeyIndex(16, 2);
    const n = 50_000;
    for (let i = 0; i < n; i++) expect(index.add(bytes(`state/${i}/${'k'.repeat(i % 40)}`))).toBe(i);
    for (let i = 0; i < n; i++) expect(index.add(bytes(`state/${i}/${'k'.repeat(i % 40)}`))).toBe(i);
    expect(index.size).toBe(n);
    for (const i of [0, 1, 777, n - 1]) expect(Buffer.from(index.key(i)).toString()).toBe(`state/${i}/${'k'.repeat(i % 40)}`);
    expect(index.find(bytes(`state/${n}/`))).toBe(-1);
  });
});
