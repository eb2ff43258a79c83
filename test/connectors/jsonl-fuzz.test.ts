// Seeded fuzz test of the JSON-lines source: random bytes, random JSON values, long lines, blank
// lines, CRLF, a byte-order mark, files with and without a trailing newline. Every line read is
// emitted, dead-lettered or skipped as blank — never lost, never counted twice — and reading
// always ends (bounded polls). The seed changes every run and is printed; replay a failure with
//   WEIR_JSONL_FUZZ_SEED=<seed> npx vitest run test/connectors/jsonl-fuzz.test.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonLinesSource, type JsonLinesReader } from '../../src/connectors/jsonl-file.ts';
import type { DeadLetter } from '../../src/connectors/sinks.ts';
import { END } from '../../src/connectors/types.ts';
import { exchangeRecordBytesMax } from '../../src/limits.ts';
import { run } from '../../src/runtime/index.ts';
import { seededRandom } from '../../src/util/random.ts';
import { jobUrl, tempDir } from '../helpers.ts';
import { CollectingOutput, sourceContext } from './util.ts';

const seed = Number(process.env.WEIR_JSONL_FUZZ_SEED ?? Date.now() % 1_000_000);
console.log(`jsonl fuzz seed ${seed} (replay: WEIR_JSONL_FUZZ_SEED=${seed})`);

const ringCapacityBytes = 4096;
const lineBytesMax = exchangeRecordBytesMax(ringCapacityBytes); // the source's default limit with this ring

const dir = tempDir('weir-jsonl-fuzz-');
afterAll(() => dir.remove());

/** A random file's bytes, from `random`. */
function randomFile(random: () => number): Buffer {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(xs: T[]): T => xs[int(xs.length)];
  const text = () => pick(['', 'a', 'é', '€', '😀', '"', '\\', '\t', 'user', ' ']).repeat(int(4)) + String(int(100));
  const value = (depth: number): unknown => {
    switch (int(depth > 2 ? 5 : 7)) {
      case 0: return null;
      case 1: return int(3) === 0 ? int(20) : random() * 1e6 - 5e5;
      case 2: return text();
      case 3: return random() < 0.5;
      case 4: return pick([13, 0, -1, 1e21]);
      case 5: return Array.from({ length: int(4) }, () => value(depth + 1));
      default: {
        const o: Record<string, unknown> = {};
        if (random() < 0.8) o.id = pick([1, 2, 13, 'x', null]);
        if (random() < 0.7) o.user = pick(['a', 'b', 'é😀', 7, null]);
        for (let i = int(3); i > 0; i--) o[text()] = value(depth + 1);
        return o;
      }
    }
  };
  const lines: Buffer[] = [];
  const count = 1 + int(400);
  for (let i = 0; i < count; i++) {
    const r = random();
    let line: Buffer;
    if (r < 0.45) line = Buffer.from(JSON.stringify(value(0)));
    else if (r < 0.6) line = Buffer.from(pick(['', ' ', '\t', '   \t ', '\r']));
    else if (r < 0.75) line = Buffer.from(Array.from({ length: int(60) }, () => int(256))); // random bytes (may hold "\n": more lines)
    else if (r < 0.85) line = Buffer.from(JSON.stringify({ id: int(5), user: 'long', pad: 'x'.repeat(lineBytesMax - 40 + int(80)) })); // around the limit
    else if (r < 0.9) line = Buffer.from(JSON.stringify({ pad: 'é'.repeat(int(120_000)) })); // up to 240 kB: across 64 KiB chunks
    else line = Buffer.from(pick(['null', '42', '[1]', '"s"', 'true', '{', '}', '{"id":1', 'nul', '1 2']));
    lines.push(line);
  }
  const eol = random() < 0.5 ? '\n' : '\r\n';
  let bytes = Buffer.concat(lines.flatMap((l) => [l, Buffer.from(eol)]));
  if (random() < 0.4) bytes = bytes.subarray(0, bytes.length - eol.length); // no trailing newline
  if (random() < 0.2) bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]); // byte-order mark
  return bytes;
}

type Fate = { kind: 'emitted'; value: unknown } | { kind: 'dead' } | { kind: 'blank' };

/** What each line must become, worked out from the whole file at once (the brute-force side). */
function expectedFates(bytes: Buffer): Fate[] {
  const fates: Fate[] = [];
  let start = 0;
  for (let line = 1; start < bytes.length; line++) {
    let end = bytes.indexOf(10, start);
    const next = end === -1 ? bytes.length : end + 1;
    if (end === -1) end = bytes.length;
    if (end - start > lineBytesMax) fates.push({ kind: 'dead' });
    else {
      let text = bytes.toString('utf8', start, end);
      if (text.endsWith('\r')) text = text.slice(0, -1);
      if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      try {
        fates.push({ kind: 'emitted', value: JSON.parse(text) });
      } catch {
        fates.push(text.trim() === '' ? { kind: 'blank' } : { kind: 'dead' });
      }
    }
    start = next;
  }
  return fates;
}

function writeRandomFile(fileSeed: number): { path: string; fates: Fate[] } {
  const bytes = randomFile(seededRandom(fileSeed));
  const path = join(dir.path, `fuzz-${fileSeed}.jsonl`);
  writeFileSync(path, bytes);
  return { path, fates: expectedFates(bytes) };
}

describe(`jsonLinesSource fuzz (seed ${seed})`, () => {
  it('every line is emitted, dead-lettered or skipped as blank, at its line number; reading always ends', () => {
    for (let i = 0; i < 60; i++) {
      const fileSeed = seed * 100 + i;
      const { path, fates } = writeRandomFile(fileSeed);
      const random = seededRandom(fileSeed ^ 0x5eed);
      const reader = jsonLinesSource({ path }).open(0, sourceContext(0, 1, { recordBytesMax: lineBytesMax })) as JsonLinesReader<unknown>;
      const out = new CollectingOutput<unknown>();
      const skipped: number[] = [];
      const withSkip = Object.assign(out, { skip: (offset: number) => void skipped.push(offset) });
      // Every poll reads at least one line or ends: more polls than lines + 1 is a hang.
      let polls = 0;
      for (;;) {
        expect(++polls, `file seed ${fileSeed}: too many polls`).toBeLessThanOrEqual(fates.length + 1);
        if (reader.poll(1 + Math.floor(random() * 600), withSkip) === END) break;
      }
      reader.close();
      const stats = reader.stats();
      const at = (kind: Fate['kind']) => fates.flatMap((f, j) => (f.kind === kind ? [j + 1] : []));
      const where = `file seed ${fileSeed}`;
      expect(stats.lines, where).toBe(fates.length);
      expect(stats.emitted + stats.deadLettered + stats.blank, where).toBe(stats.lines);
      expect(out.records.map((r) => r.offset), where).toEqual(at('emitted'));
      expect(out.values, where).toEqual(fates.flatMap((f) => (f.kind === 'emitted' ? [f.value] : [])));
      expect(out.deadLetters.map((d) => d.offset), where).toEqual(at('dead'));
      expect(skipped, where).toEqual(at('blank'));
      expect(reader.position().line, where).toBe(fates.length);
    }
  });

  it("on worker threads with onError 'dead-letter': lines read = records emitted + dead letters + blank lines skipped", async () => {
    const files = [writeRandomFile(seed * 100 + 90), writeRandomFile(seed * 100 + 91)];
    const handle = await run(jobUrl('bad-lines'), { params: { files: files.map((f) => f.path).join(',') }, parallelism: 2, ringCapacityBytes, onError: 'dead-letter' });
    const result = await handle.done;
    const fates = files.flatMap((f) => f.fates);
    const emitted = fates.flatMap((f) => (f.kind === 'emitted' ? [f.value] : []));
    // What bad-lines lets through to its sink: objects with a usable key, and id ≠ 13.
    const good = emitted.filter((v) => typeof v === 'object' && v !== null && !Array.isArray(v) && (v as { user?: unknown }).user != null && (v as { id?: unknown }).id !== 13);
    const source = result.metrics.operators.find((o) => o.name === 'lines')!;
    expect(source.recordsOut).toBe(emitted.length);
    expect(source.skipped).toBe(fates.filter((f) => f.kind === 'blank').length);
    const sunk = (result.results.ids as unknown[]).length;
    expect(sunk).toBe(good.length);
    expect((result.results.dlq as DeadLetter[]).length).toBe(result.metrics.deadLetters);
    expect(sunk + result.metrics.deadLetters + source.skipped).toBe(fates.length);
  });
});
