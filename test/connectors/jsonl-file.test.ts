import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { END, jsonLinesSource, type JsonLinesPosition } from '../../src/connectors/index.ts';
import type { JsonLinesReader } from '../../src/connectors/jsonl-file.ts';
import { CollectingOutput, drain, sourceContext, tempDir } from './util.ts';

let tmp: { path: string; remove(): void };
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

function file(name: string, content: string | Buffer): string {
  const p = path.join(tmp.path, name);
  fs.writeFileSync(p, content);
  return p;
}

function readFile<T = unknown>(p: string, opts: { from?: JsonLinesPosition; max?: number; timestamp?: (v: T) => number; maxLineBytes?: number } = {}) {
  const reader = jsonLinesSource<T>({ path: p, timestamp: opts.timestamp, maxLineBytes: opts.maxLineBytes }).open(0, sourceContext(0, 1), opts.from) as JsonLinesReader<T>;
  const out = new CollectingOutput<T>();
  const returned = drain(reader, out, opts.max ?? 100);
  const result = { out, returned, stats: reader.stats(), position: reader.position() };
  reader.close();
  return result;
}

describe('jsonLinesSource', () => {
  it('reads CRLF lines, a last line without a newline, skips blank lines; offset = 1-based line number', () => {
    const p = file('a.jsonl', '\ufeff{"a":1}\r\n\r\n  \r\n{"a":2}\r\n[3]\r\n"four"');
    const { out, returned, stats, position } = readFile(p);
    expect(out.values).toEqual([{ a: 1 }, { a: 2 }, [3], 'four']);
    expect(out.records.map((r) => r.offset)).toEqual([1, 4, 5, 6]);
    expect(out.records.every((r) => Number.isNaN(r.timestampMs) && Number.isNaN(r.createdMs))).toBe(true);
    expect(returned).toBe(4);
    expect(stats).toEqual({ lines: 6, emitted: 4, deadLettered: 0, blank: 2 });
    expect(position).toEqual({ line: 6, byteOffset: fs.statSync(p).size });
  });

  it('a malformed line goes to the dead letters with path:line; counts reconcile', () => {
    const lines = ['{"id":1}', '{"id":2', '', 'nope', '{"id":3}', '   ', '{"id":4}}', '{"id":5}'];
    const p = file('b.jsonl', lines.join('\n') + '\n');
    const { out, returned, stats } = readFile<{ id: number }>(p, { max: 3 });
    expect(out.values.map((v) => v.id)).toEqual([1, 3, 5]);
    expect(out.deadLetters.map((d) => [d.raw, d.offset])).toEqual([
      ['{"id":2', 2],
      ['nope', 4],
      ['{"id":4}}', 7],
    ]);
    expect(out.deadLetters[0].reason).toMatch(new RegExp(`^malformed JSON at ${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: `));
    expect(out.deadLetters[1].reason).toContain(`${p}:4: `);
    expect(stats).toEqual({ lines: 8, emitted: 3, deadLettered: 3, blank: 2 });
    expect(stats.lines).toBe(stats.emitted + stats.deadLettered + stats.blank);
    expect(returned).toBe(stats.emitted + stats.deadLettered);
  });

  it('lines longer than the 64 KiB chunk, and multi-byte UTF-8 cut by chunk boundaries', () => {
    const long = '€'.repeat(100_000); // 300 kB of 3-byte characters: several chunk boundaries fall inside one
    const lines: string[] = [JSON.stringify({ s: long })];
    for (let i = 0; i < 3000; i++) lines.push(JSON.stringify({ i, s: '😀é'.repeat(i % 13) })); // 4- and 2-byte characters
    lines.push(JSON.stringify({ s: 'x'.repeat(200_000) }));
    const p = file('c.jsonl', lines.join('\n'));
    for (const max of [1, 7, 512]) {
      // Lines past the default limit (what an exchange carries, 262 104 bytes): this is about reading them.
      const { out, stats } = readFile<{ i?: number; s: string }>(p, { max, maxLineBytes: 1 << 20 });
      expect(stats).toEqual({ lines: 3002, emitted: 3002, deadLettered: 0, blank: 0 });
      expect(out.values[0].s).toBe(long);
      for (let i = 0; i < 3000; i++) expect(out.values[i + 1]).toEqual({ i, s: '😀é'.repeat(i % 13) });
      expect(out.values[3001].s.length).toBe(200_000);
    }
  });

  it('resumes from position() = { line, byteOffset }', () => {
    const p = file('d.jsonl', Array.from({ length: 500 }, (_, i) => (i % 50 === 7 ? '' : JSON.stringify({ i, pad: 'é'.repeat(i % 300) }))).join('\r\n'));
    const all = readFile(p).out.records;
    const source = jsonLinesSource({ path: p });
    const first = source.open(0, sourceContext(0, 1)) as JsonLinesReader<unknown>;
    const head = new CollectingOutput<unknown>();
    first.poll(100, head);
    first.poll(123, head);
    const position = JSON.parse(JSON.stringify(first.position())) as JsonLinesPosition;
    first.close();
    expect(position.line).toBeGreaterThan(223);
    const rest = readFile(p, { from: position }).out.records;
    expect([...head.records, ...rest]).toEqual(all);
    expect(rest[0].offset).toBe(position.line + 1);
    expect(() => source.open(0, sourceContext(0, 1), { line: -1 })).toThrow(/cannot resume/);
  });

  it('one partition per file; a missing file is a WEIR_SOURCE error at open', () => {
    const a = file('p0.jsonl', '1\n2\n');
    const b = file('p1.jsonl', '3\n');
    const spec = jsonLinesSource<number>({ path: [a, b] });
    expect(spec.partitions()).toBe(2);
    const out = new CollectingOutput<number>();
    drain(spec.open(1, sourceContext(1, 2)) as JsonLinesReader<number>, out);
    expect(out.values).toEqual([3]);
    expect(() => jsonLinesSource({ path: path.join(tmp.path, 'missing.jsonl') }).open(0, sourceContext(0, 1))).toThrow(
      expect.objectContaining({ code: 'WEIR_SOURCE', message: expect.stringMatching(/cannot open .*missing\.jsonl/) }),
    );
  });

  it('an empty file ends at once', () => {
    const reader = jsonLinesSource({ path: file('e.jsonl', '') }).open(0, sourceContext(0, 1)) as JsonLinesReader<unknown>;
    expect(reader.poll(10, new CollectingOutput())).toBe(END);
    reader.close();
  });

  it('a line over maxLineBytes is dead-lettered (a preview of it), without holding it whole', () => {
    const p = file('f.jsonl', ['{"a":1}', JSON.stringify({ big: 'y'.repeat(150_000) }), '{"a":2}', '"z' + 'q'.repeat(5000)].join('\n'));
    const { out, stats } = readFile(p, { maxLineBytes: 4096 });
    expect(out.values).toEqual([{ a: 1 }, { a: 2 }]);
    expect(out.deadLetters.map((d) => d.offset)).toEqual([2, 4]);
    expect(out.deadLetters[0].reason).toContain(`line too long at ${p}:2 (150010 bytes > 4096)`);
    expect(out.deadLetters[0].raw.startsWith('{"big":"yyy')).toBe(true);
    expect(out.deadLetters[0].raw.length).toBeLessThan(1100);
    expect(stats).toEqual({ lines: 4, emitted: 2, deadLettered: 2, blank: 0 });
  });

  it('timestamp option gives the event time; a throwing timestamp function is a user-function error', () => {
    const p = file('g.jsonl', '{"t":5}\n{"t":7}\n{}\n');
    const { out } = readFile<{ t: number }>(p, {
      timestamp: (v) => {
        if (v.t === undefined) return NaN;
        return v.t * 1000;
      },
    });
    expect(out.records.map((r) => r.timestampMs)).toEqual([5000, 7000, NaN]);
    expect(() =>
      readFile<{ t: number }>(p, {
        timestamp: () => {
          throw new Error('boom');
        },
      }),
    ).toThrow(expect.objectContaining({ code: 'WEIR_USER_FUNCTION', offset: 1 }));
  });
});
