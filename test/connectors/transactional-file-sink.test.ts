import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCommittedLines, transactionalFileSink } from '../../src/connectors/index.ts';
import type { JsonValue, SinkContext, SinkRecovery, SinkWriter } from '../../src/connectors/types.ts';
import { finalName, inProgressName, parseFinal, parseHidden, pendingName } from '../../src/connectors/transactional-file/names.ts';
import { expectWeirError } from '../helpers.ts';
import { sinkContext, tempDir } from './util.ts';

let tmp: { path: string; remove(): void };
let out: string;
beforeEach(() => {
  tmp = tempDir();
  out = path.join(tmp.path, 'out');
});
afterEach(() => tmp.remove());

type Row = { n: number };
const spec = () => transactionalFileSink<Row>({ dir: 'out' }); // relative: in the work dir

function ctx(subtask: number, parallelism: number, recovery?: SinkRecovery): SinkContext {
  return { ...sinkContext(subtask, parallelism, tmp.path), recovery };
}

async function open(subtask = 0, parallelism = 1, recovery?: SinkRecovery): Promise<SinkWriter<Row>> {
  return spec().open(ctx(subtask, parallelism, recovery));
}

function write(w: SinkWriter<Row>, ...ns: number[]): void {
  for (const n of ns) w.write({ n }, NaN, NaN);
}

const listing = () => fs.readdirSync(out).sort();
const lines = () => readCommittedLines(out);
const rows = (...ns: number[]) => ns.map((n) => JSON.stringify({ n }));
type Note = { dir: string; files: Array<{ pending: string; final: string; bytes: number; checkpointId: number }> };

describe('transactionalFileSink: two-phase commit', () => {
  it('declares exactly-once; records stay invisible until commit', async () => {
    const s = spec();
    expect(s.guarantee).toBe('exactly-once');
    expect(s.name).toBe('transactional-file:out');
    const w = await open();
    write(w, 1, 2);
    await w.flush();
    expect(listing()).toEqual([inProgressName('part', 'sink', 0, 0)]); // bytes written out, hidden
    expect(lines()).toEqual([]);
    write(w, 3);
    const note = (await w.preCommit!(1)) as Note;
    const bytes = Buffer.byteLength(rows(1, 2, 3).join('\n') + '\n');
    expect(note).toEqual({ dir: out, files: [{ pending: pendingName('part', 'sink', 0, 1), final: 'part-0-1.jsonl', bytes, checkpointId: 1 }] });
    expect(listing()).toEqual(['.part-sink-0-1.pending']);
    expect(lines()).toEqual([]);
    write(w, 4); // after the barrier: belongs to the next checkpoint
    await w.commit!(1);
    expect(lines()).toEqual(rows(1, 2, 3));
    await w.preCommit!(2);
    await w.commit!(2);
    expect(listing()).toEqual(['part-0-1.jsonl', 'part-0-2.jsonl']);
    expect(lines()).toEqual(rows(1, 2, 3, 4));
    await w.close();
    expect(w.result?.()).toEqual({ dir: out, subtask: 0, committedFiles: ['part-0-1.jsonl', 'part-0-2.jsonl'], committedLines: 4 });
  });

  it('a commit is idempotent: replaying it, live or from the note at recovery, changes nothing', async () => {
    const w = await open();
    write(w, 1);
    const note = await w.preCommit!(1);
    await w.commit!(1);
    await w.commit!(1);
    await w.close();
    const again = await open(0, 1, { checkpointId: 1, notes: [{ subtask: 0, note }] });
    await again.close();
    expect(listing()).toEqual(['part-0-1.jsonl']);
    expect(lines()).toEqual(rows(1));
  });

  it('an empty checkpoint makes no file and notes none; the next records start a new file', async () => {
    const w = await open();
    expect(await w.preCommit!(1)).toEqual({ dir: out, files: [] });
    await w.commit!(1);
    await w.flush();
    expect(await w.preCommit!(2)).toEqual({ dir: out, files: [] });
    expect(listing()).toEqual([]);
    write(w, 7);
    await w.preCommit!(3);
    await w.commit!(3);
    expect(listing()).toEqual(['part-0-3.jsonl']);
  });

  it('the note keeps files whose commit has not come; a later commit takes them too', async () => {
    const w = await open();
    write(w, 1);
    await w.preCommit!(1); // checkpoint 1 never completes
    const note = (await w.preCommit!(2)) as Note; // nothing new
    expect(note.files.map((f) => f.final)).toEqual(['part-0-1.jsonl']);
    write(w, 2);
    await w.preCommit!(3);
    await w.commit!(3);
    expect(lines()).toEqual(rows(1, 2));
    expect(((await w.preCommit!(4)) as Note).files).toEqual([]);
  });

  it('close removes the in-progress file and keeps pending ones', async () => {
    const w = await open();
    write(w, 1);
    await w.preCommit!(1);
    write(w, 2);
    await w.flush();
    write(w, 3); // still buffered
    await w.close();
    expect(listing()).toEqual(['.part-sink-0-1.pending']);
    expect(lines()).toEqual([]);
  });

  it('refuses checkpoint ids that do not increase', async () => {
    const w = await open();
    await w.preCommit!(2);
    await expectWeirError(Promise.resolve().then(() => w.preCommit!(2)), 'WEIR_SINK', /checkpoint 2 after checkpoint 2/);
  });
});

describe('transactionalFileSink: recovery', () => {
  it('commits the restored checkpoint and removes later pending and in-progress files', async () => {
    const w = await open();
    write(w, 1, 2);
    const note1 = await w.preCommit!(1); // completes, but the crash comes before commit(1)
    write(w, 3);
    await w.preCommit!(2); // never completes
    write(w, 4);
    await w.flush(); // in-progress
    expect(listing()).toEqual(['.part-sink-0-1.pending', inProgressName('part', 'sink', 0, 2), '.part-sink-0-2.pending']);

    const resumed = await open(0, 1, { checkpointId: 1, notes: [{ subtask: 0, note: note1 }] });
    expect(listing()).toEqual(['part-0-1.jsonl']);
    expect(lines()).toEqual(rows(1, 2));
    write(resumed, 3, 4); // the replay
    await resumed.preCommit!(2);
    await resumed.commit!(2);
    expect(lines()).toEqual(rows(1, 2, 3, 4));
  });

  it('with another parallelism: notes go by subtask % parallelism (subtask 1 of 2 commits old subtask 3)', async () => {
    const notes: Array<{ subtask: number; note: JsonValue }> = [];
    for (let s = 0; s < 4; s++) {
      const w = await open(s, 4);
      write(w, s);
      notes.push({ subtask: s, note: await w.preCommit!(1) });
      write(w, 10 + s);
      await w.preCommit!(2); // later checkpoint: uncommitted
    }
    const recovery = { checkpointId: 1, notes };
    await open(1, 2, recovery);
    expect(listing()).toEqual(['.part-sink-0-1.pending', '.part-sink-0-2.pending', '.part-sink-2-1.pending', '.part-sink-2-2.pending', 'part-1-1.jsonl', 'part-3-1.jsonl']);
    await open(0, 2, recovery);
    expect(listing()).toEqual(['part-0-1.jsonl', 'part-1-1.jsonl', 'part-2-1.jsonl', 'part-3-1.jsonl']);
    expect(lines()).toEqual(rows(0, 1, 2, 3));
  });

  it('a crash between the renames of one commit: the recovery finishes it', async () => {
    const w = await open();
    write(w, 1);
    await w.preCommit!(1);
    write(w, 2);
    const note = (await w.preCommit!(2)) as Note; // lists both checkpoints' files
    expect(note.files.map((f) => f.checkpointId)).toEqual([1, 2]);
    // commit(2) got as far as its first rename
    fs.renameSync(path.join(out, note.files[0].pending), path.join(out, note.files[0].final));
    await open(0, 1, { checkpointId: 2, notes: [{ subtask: 0, note }] });
    expect(listing()).toEqual(['part-0-1.jsonl', 'part-0-2.jsonl']);
    expect(lines()).toEqual(rows(1, 2));
  });

  it('the same, when the live writer repeats the commit', async () => {
    const w = await open();
    write(w, 1);
    await w.preCommit!(1);
    write(w, 2);
    const note = (await w.preCommit!(2)) as Note;
    fs.renameSync(path.join(out, note.files[1].pending), path.join(out, note.files[1].final));
    await w.commit!(2);
    expect(lines()).toEqual(rows(1, 2));
  });

  it('a pending file that is gone while its committed file does not exist is an error naming it', async () => {
    const w = await open();
    write(w, 1);
    const note = await w.preCommit!(1);
    const pending = path.join(out, '.part-sink-0-1.pending');
    fs.rmSync(pending);
    await expectWeirError(Promise.resolve().then(() => w.commit!(1)), 'WEIR_SINK', new RegExp(`${escape(pending)} of checkpoint 1 is missing`));
    const err = await expectWeirError(Promise.resolve().then(() => open(0, 1, { checkpointId: 1, notes: [{ subtask: 0, note }] })), 'WEIR_SINK');
    expect(err.message).toContain(pending);
    expect(err.message).toContain('part-0-1.jsonl');
    expect(err.operator).toBe('transactional-file:out');
  });

  it('a pending file shorter than its note says is an error', async () => {
    const w = await open();
    write(w, 1, 2);
    const note = await w.preCommit!(1);
    fs.truncateSync(path.join(out, '.part-sink-0-1.pending'), 3);
    await expectWeirError(Promise.resolve().then(() => open(0, 1, { checkpointId: 1, notes: [{ subtask: 0, note }] })), 'WEIR_SINK', /has 3 bytes, its checkpoint recorded 16/);
  });

  it('a malformed note is refused before any rename', async () => {
    fs.mkdirSync(out);
    const note = { dir: out, files: [{ pending: '../escape', final: 'part-0-1.jsonl', bytes: 0, checkpointId: 1 }] };
    await expectWeirError(Promise.resolve().then(() => open(0, 1, { checkpointId: 1, notes: [{ subtask: 0, note }] })), 'WEIR_SINK', /subtask 0 is malformed: files\[0\]\.pending/);
  });

  it('refuses to resume before output it already committed (it would be written twice)', async () => {
    const w = await open();
    write(w, 1);
    const note1 = await w.preCommit!(1);
    await w.commit!(1);
    write(w, 2);
    await w.preCommit!(2);
    await w.commit!(2);
    await expectWeirError(
      Promise.resolve().then(() => open(0, 1, { checkpointId: 1, notes: [{ subtask: 0, note: note1 }] })),
      'WEIR_SINK',
      /part-0-2\.jsonl holds committed output of checkpoint 2 but the job resumes from checkpoint 1/,
    );
  });
});

describe('transactionalFileSink: fresh start', () => {
  it("removes this sink's hidden leftovers of its subtasks, nothing else", async () => {
    fs.mkdirSync(out);
    const keep = ['.part-other-0-1.pending', '.part-sink-1-3.pending', 'notes.txt', 'other-0-1.jsonl'];
    const drop = ['.part-sink-0-3.pending', inProgressName('part', 'sink', 2, 0)];
    for (const f of [...keep, ...drop]) fs.writeFileSync(path.join(out, f), 'x\n');
    await open(0, 2); // subtask 0 of 2: old subtasks 0 and 2
    expect(listing()).toEqual(keep.sort());
  });

  it('refuses to start over committed output of its subtasks', async () => {
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'part-1-4.jsonl'), '{"n":1}\n');
    await open(0, 2); // not subtask 0's
    await expectWeirError(Promise.resolve().then(() => open(1, 2)), 'WEIR_SINK', /part-1-4\.jsonl holds committed output of checkpoint 4 but the job starts without a checkpoint/);
  });
});

describe('transactionalFileSink: options and errors', () => {
  it('a format function writes .txt files; prefix names them; bad options are WEIR_CONFIG', async () => {
    const s = transactionalFileSink<number>({ dir: out, format: (n) => `n=${n}`, prefix: 'nums', name: 'numbers' });
    const w = await s.open(ctx(2, 3));
    w.write(5, NaN, NaN);
    await w.preCommit!(1);
    await w.commit!(1);
    expect(listing()).toEqual(['nums-2-1.txt']);
    expect(readCommittedLines(out, { prefix: 'nums' })).toEqual(['n=5']);
    expect(readCommittedLines(out)).toEqual([]);
    expect(() => transactionalFileSink({ dir: '' })).toThrow(expect.objectContaining({ code: 'WEIR_CONFIG' }));
    expect(() => transactionalFileSink({ dir: out, prefix: '.hidden' })).toThrow(expect.objectContaining({ code: 'WEIR_CONFIG' }));
    expect(() => transactionalFileSink({ dir: out, prefix: 'a/b' })).toThrow(expect.objectContaining({ code: 'WEIR_CONFIG' }));
  });

  it('file system failures are WEIR_SINK errors naming the sink and the path', async () => {
    fs.writeFileSync(out, 'a file where the directory should be');
    const err = await expectWeirError(Promise.resolve().then(() => open()), 'WEIR_SINK', /sink "transactional-file:out": cannot create the directory/);
    expect(err.message).toContain(out);

    fs.rmSync(out);
    const w = await open();
    fs.rmSync(out, { recursive: true }); // the directory vanishes under the writer
    write(w, 1);
    await expectWeirError(Promise.resolve().then(() => w.flush()), 'WEIR_SINK', new RegExp(`cannot create ${escape(path.join(out, '.part-sink-0-0.inprogress'))}`));
  });

  it('large outputs are written out before a flush, still hidden', async () => {
    const w = await open();
    const s = 'é'.repeat(1000);
    for (let i = 0; i < 2000; i++) w.write({ n: i, s } as Row, NaN, NaN); // 2 Mi characters: past the line buffer
    expect(fs.statSync(path.join(out, inProgressName('part', 'sink', 0, 0))).size).toBeGreaterThan(0);
    expect(lines()).toEqual([]);
    await w.preCommit!(1);
    await w.commit!(1);
    expect(lines().length).toBe(2000);
  });
});

describe('transactionalFileSink: buckets', () => {
  type Dated = { n: number; day: string };
  const bucketed = () => transactionalFileSink<Dated>({ dir: 'out', bucket: (r) => `dt=${r.day}/h=${r.n % 2}` });
  const openBucketed = (subtask = 0, parallelism = 1, recovery?: SinkRecovery) => bucketed().open(ctx(subtask, parallelism, recovery));
  const put = (w: SinkWriter<Dated>, day: string, ...ns: number[]) => {
    for (const n of ns) w.write({ n, day }, NaN, NaN);
  };
  const at = (bucket: string) => path.join(out, bucket);
  const linesIn = (bucket: string) => readCommittedLines(at(bucket)).map((l) => (JSON.parse(l) as Dated).n);

  it('each line goes to its bucket, hidden until the checkpoint that took it commits every bucket at once', async () => {
    const w = await openBucketed();
    put(w, '2026-12-07', 1, 2, 3);
    put(w, '2026-12-08', 4);
    await w.flush();
    expect(fs.readdirSync(at('dt=2026-12-07/h=1'))).toEqual([inProgressName('part', 'sink', 0, 0)]);
    const note = (await w.preCommit!(1)) as { files: Array<{ pending: string; final: string; bucket: string }> };
    expect(note.files.map((f) => [f.bucket, f.final, f.pending]).sort()).toEqual([
      ['dt=2026-12-07/h=0', 'part-0-1.jsonl', pendingName('part', 'sink', 0, 1)],
      ['dt=2026-12-07/h=1', 'part-0-1.jsonl', pendingName('part', 'sink', 0, 1)],
      ['dt=2026-12-08/h=0', 'part-0-1.jsonl', pendingName('part', 'sink', 0, 1)],
    ]);
    expect(linesIn('dt=2026-12-07/h=1')).toEqual([]);
    put(w, '2026-12-07', 5); // after the barrier
    await w.commit!(1);
    expect(linesIn('dt=2026-12-07/h=1')).toEqual([1, 3]);
    expect(linesIn('dt=2026-12-07/h=0')).toEqual([2]);
    expect(linesIn('dt=2026-12-08/h=0')).toEqual([4]);
    await w.preCommit!(2); // only the bucket written since has a file
    await w.commit!(2);
    expect(fs.readdirSync(at('dt=2026-12-07/h=1')).sort()).toEqual(['part-0-1.jsonl', 'part-0-2.jsonl']);
    expect(fs.readdirSync(at('dt=2026-12-08/h=0'))).toEqual(['part-0-1.jsonl']);
    expect(linesIn('dt=2026-12-07/h=1')).toEqual([1, 3, 5]);
    expect((w.result!() as { committedFiles: string[] }).committedFiles.sort()).toEqual([
      'dt=2026-12-07/h=0/part-0-1.jsonl',
      'dt=2026-12-07/h=1/part-0-1.jsonl',
      'dt=2026-12-07/h=1/part-0-2.jsonl',
      'dt=2026-12-08/h=0/part-0-1.jsonl',
    ]);
  });

  it('recovery commits the restored note in its buckets and clears later files in every bucket, of its subtasks only', async () => {
    const w0 = await openBucketed(0, 2);
    const w1 = await openBucketed(1, 2);
    put(w0, 'a', 1, 2);
    put(w1, 'a', 11);
    const notes = [
      { subtask: 0, note: await w0.preCommit!(1) },
      { subtask: 1, note: await w1.preCommit!(1) },
    ]; // checkpoint 1 completes; the crash comes before its commit
    put(w0, 'b', 3);
    await w0.preCommit!(2); // never completes
    put(w0, 'c', 5);
    put(w1, 'c', 13);
    await w0.flush();
    await w1.flush();
    const resumed = await openBucketed(0, 2, { checkpointId: 1, notes });
    expect(linesIn('dt=a/h=1')).toEqual([1]);
    expect(linesIn('dt=a/h=0')).toEqual([2]);
    expect(fs.readdirSync(at('dt=b/h=1'))).toEqual([]); // its pending file of checkpoint 2: gone
    expect(fs.readdirSync(at('dt=c/h=1'))).toEqual([inProgressName('part', 'sink', 1, 1)]); // subtask 1's: not subtask 0's to clear
    put(resumed, 'b', 3);
    await resumed.preCommit!(2);
    await resumed.commit!(2);
    expect(linesIn('dt=b/h=1')).toEqual([3]);
    await openBucketed(1, 2, { checkpointId: 1, notes });
    expect(linesIn('dt=a/h=1')).toEqual([1, 11]);
    expect(fs.readdirSync(at('dt=c/h=1'))).toEqual([]);
  });

  it('refuses to start over committed output in a bucket', async () => {
    const w = await openBucketed();
    put(w, 'a', 1);
    await w.preCommit!(3);
    await w.commit!(3);
    await expectWeirError(Promise.resolve().then(() => openBucketed()), 'WEIR_SINK', /dt=a\/h=1\/part-0-3\.jsonl holds committed output of checkpoint 3/);
  });

  it('a bucket is a relative path of plain names: anything else, or a bucket function that throws, fails the write naming why', async () => {
    for (const [bucket, why] of [
      ['../escape', 'not a relative path'],
      ['a//b', 'not a relative path'],
      ['/abs', 'not a relative path'],
      ['.hidden/x', 'starts with "."'],
      ['', 'not empty'],
      [42, 'a string, not number'],
    ] as const) {
      const w = await transactionalFileSink<number>({ dir: 'out', bucket: () => bucket as string }).open(ctx(0, 1));
      expect(() => w.write(1, NaN, NaN)).toThrow(why);
    }
    const w = await transactionalFileSink<number>({
      dir: 'out',
      bucket: () => {
        throw new Error('no day');
      },
    }).open(ctx(0, 1));
    expect(() => w.write(1, NaN, NaN)).toThrow('its bucket function threw: no day');
    expect(() => transactionalFileSink({ dir: out, bucket: 'dt' as never })).toThrow(expect.objectContaining({ code: 'WEIR_CONFIG' }));
  });

  it('a note whose bucket leaves the directory is refused before any rename', async () => {
    const note = { dir: out, files: [{ pending: pendingName('part', 'sink', 0, 1), final: 'part-0-1.jsonl', bytes: 1, checkpointId: 1, bucket: '../elsewhere' }] };
    await expectWeirError(Promise.resolve().then(() => openBucketed(0, 1, { checkpointId: 1, notes: [{ subtask: 0, note }] })), 'WEIR_SINK', /files\[0\]\.bucket/);
  });
});

describe('file names and readCommittedLines', () => {
  it('hidden names carry the encoded uid; parsing does not confuse uids', () => {
    expect(inProgressName('part', 'a/b', 1, 2)).toBe('.part-a%2Fb-1-2.inprogress');
    expect(parseHidden(pendingName('part', 'a-1', 2, 3), 'part', 'a')).toBeUndefined();
    expect(parseHidden(pendingName('part', 'a-1', 2, 3), 'part', 'a-1')).toEqual({ kind: 'pending', subtask: 2, n: 3 });
    expect(parseFinal(finalName('part', 4, 12, '.jsonl'), 'part')).toEqual({ subtask: 4, checkpointId: 12 });
    expect(parseFinal('part-4.jsonl', 'part')).toBeUndefined();
    expect(parseFinal('party-4-1.jsonl', 'part')).toBeUndefined();
  });

  it('orders by checkpoint, then subtask, numerically; ignores hidden files; a missing directory is empty', () => {
    expect(readCommittedLines(path.join(tmp.path, 'none'))).toEqual([]);
    fs.mkdirSync(out);
    const files: Record<string, string> = {
      'part-10-1.jsonl': 'c\n',
      'part-2-1.jsonl': 'a\nb\n',
      'part-0-10.jsonl': 'e\n',
      'part-0-9.jsonl': 'd\n',
      'part-1-2.jsonl': '',
      '.part-sink-0-11.pending': 'hidden\n',
    };
    for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(out, f), text);
    expect(lines()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
