import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { collect, consoleSink, deadLetterRecord, fileSink, fileSinkPath, type DeadLetter } from '../../src/connectors/index.ts';
import type { SinkWriter } from '../../src/connectors/types.ts';
import { sinkContext, tempDir } from './util.ts';

let tmp: { path: string; remove(): void };
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

describe('fileSink', () => {
  it('with parallelism 1 writes the path itself, buffered until flush', () => {
    const file = path.join(tmp.path, 'out', 'result.jsonl'); // the directory is created
    const spec = fileSink<{ n: number }>({ path: file });
    expect(spec.name).toBe(`file:${file}`);
    const w = spec.open(sinkContext(0, 1)) as SinkWriter<{ n: number }>;
    w.write({ n: 1 }, NaN, NaN);
    w.write({ n: 2 }, NaN, NaN);
    expect(fs.readFileSync(file, 'utf8')).toBe('');
    w.flush();
    expect(fs.readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n');
    w.write({ n: 3 }, NaN, NaN);
    w.close();
    expect(fs.readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
    expect(w.result?.()).toEqual({ path: file, lines: 3 });
  });

  it('with parallelism > 1, subtask s writes <name>-<s><ext>', () => {
    const file = path.join(tmp.path, 'out.txt');
    const spec = fileSink<number>({ path: file, format: (n) => `n=${n}`, fsync: true });
    const writers = [0, 1, 2].map((s) => spec.open(sinkContext(s, 3)) as SinkWriter<number>);
    writers.forEach((w, s) => {
      w.write(s, NaN, NaN);
      w.write(s * 10, NaN, NaN);
      w.close();
    });
    expect(fs.existsSync(file)).toBe(false);
    for (let s = 0; s < 3; s++) expect(fs.readFileSync(path.join(tmp.path, `out-${s}.txt`), 'utf8')).toBe(`n=${s}\nn=${s * 10}\n`);
  });

  it('fileSinkPath', () => {
    expect(fileSinkPath('/a/out.jsonl', 0, 1)).toBe('/a/out.jsonl');
    expect(fileSinkPath('/a/out.jsonl', 2, 4)).toBe('/a/out-2.jsonl');
    expect(fileSinkPath('/a/data', 1, 2)).toBe('/a/data-1');
    expect(fileSinkPath('/a/x.b.jsonl', 1, 2)).toBe('/a/x.b-1.jsonl');
    expect(fileSinkPath('/a/.hidden', 1, 2)).toBe('/a/.hidden-1');
  });

  it('truncates at open unless append; writes large outputs in several writes', () => {
    const file = path.join(tmp.path, 'big.jsonl');
    fs.writeFileSync(file, 'old\n');
    let w = fileSink<string>({ path: file }).open(sinkContext(0, 1)) as SinkWriter<string>;
    const s = 'é'.repeat(1000);
    for (let i = 0; i < 3000; i++) w.write(s, NaN, NaN); // ~6 MB: passes the pending limit several times
    w.close();
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines.length).toBe(3001);
    expect(lines[0]).toBe(JSON.stringify(s));
    w = fileSink<string>({ path: file, append: true, format: (v) => v }).open(sinkContext(0, 1)) as SinkWriter<string>;
    w.write('tail', NaN, NaN);
    w.close();
    expect(fs.readFileSync(file, 'utf8').endsWith(`${JSON.stringify(s)}\ntail\n`)).toBe(true);
  });

  it('values JSON cannot represent', () => {
    const file = path.join(tmp.path, 'odd.jsonl');
    const w = fileSink<unknown>({ path: file }).open(sinkContext(0, 1)) as SinkWriter<unknown>;
    w.write(undefined, NaN, NaN);
    expect(() => w.write(10n, NaN, NaN)).toThrow(expect.objectContaining({ code: 'WEIR_ENCODE' }));
    w.close();
    expect(fs.readFileSync(file, 'utf8')).toBe('null\n');
  });
});

describe('consoleSink', () => {
  it('writes prefixed lines to stdout at flush', () => {
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const w = consoleSink<{ k: string }>({ prefix: '> ' }).open(sinkContext(0, 1)) as SinkWriter<{ k: string }>;
      w.write({ k: 'a' }, NaN, NaN);
      w.write({ k: 'b' }, NaN, NaN);
      expect(spy).not.toHaveBeenCalled();
      w.flush();
      expect(spy).toHaveBeenCalledTimes(1);
      expect(spy.mock.calls[0][0]).toBe('> {"k":"a"}\n> {"k":"b"}\n');
      w.flush(); // nothing pending: no write
      w.write({ k: 'c' }, NaN, NaN);
      w.close();
      expect(spy).toHaveBeenCalledTimes(2);
      const custom = consoleSink<number>({ name: 'nums', format: (n) => n.toFixed(1) });
      expect(custom.name).toBe('nums');
      const cw = custom.open(sinkContext(0, 1)) as SinkWriter<number>;
      cw.write(2, NaN, NaN);
      cw.flush();
      expect(spy.mock.calls[2][0]).toBe('2.0\n');
    } finally {
      spy.mockRestore();
    }
  });
});

describe('collect', () => {
  it('keeps values in memory; result() returns them (also after close)', () => {
    const spec = collect<number>('nums');
    expect(spec.name).toBe('nums');
    const a = spec.open(sinkContext(0, 2)) as SinkWriter<number>;
    const b = spec.open(sinkContext(1, 2)) as SinkWriter<number>;
    a.write(1, NaN, NaN);
    b.write(2, NaN, NaN);
    a.write(3, NaN, NaN);
    a.flush();
    a.close();
    expect(a.result?.()).toEqual([1, 3]);
    expect(b.result?.()).toEqual([2]);
    expect(() => collect('')).toThrow(expect.objectContaining({ code: 'WEIR_CONFIG' }));
  });
});

describe('deadLetterRecord', () => {
  it('builds the DeadLetter shape', () => {
    const d: DeadLetter = deadLetterRecord('{bad', 'malformed JSON at f:3: …', 1, 3, 'lines');
    expect(d).toEqual({ source: 'lines', partition: 1, offset: 3, reason: 'malformed JSON at f:3: …', raw: '{bad' });
    expect(deadLetterRecord('x', 'y', 0, 'k').source).toBe('source');
  });
});
