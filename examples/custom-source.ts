// A custom source: every text file of a directory is a partition, read line by line. It shows the
// SourceSpec / SourceReader contract: partitions(), open() in the worker that owns the partition,
// poll() emitting what is available now and returning END at the end, position() for checkpoints
// and the `from` it resumes at, and deadLetter() for a line it cannot read.
// Run: node bin/weir.mjs run examples/custom-source.ts --param dir=<a directory of .txt files>
// Each line is `<word> <count>`; the job sums the counts per word.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineJob } from '../src/api/index.ts';
import { collect, END, type SourceOutput, type SourceReader, type SourceSpec } from '../src/connectors/index.ts';

export interface WordCount {
  word: string;
  count: number;
}

/** One partition per `.txt` file of `dir` (sorted by name, so every thread agrees on the numbering). */
export function wordCountFiles(dir: string): SourceSpec<WordCount> {
  // Runs on every thread that loads the job: it must give the same answer everywhere.
  const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();
  return {
    kind: 'word-count-files',
    partitions: () => files.length,
    open(partition, _ctx, from) {
      const lines = readFileSync(join(dir, files[partition]), 'utf8').split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      // `from` is what position() returned when the restored checkpoint was taken: the next line.
      return new WordCountReader(lines, typeof from === 'number' ? from : 0);
    },
  };
}

class WordCountReader implements SourceReader<WordCount> {
  constructor(
    private readonly lines: string[],
    private next: number,
  ) {}

  poll(max: number, out: SourceOutput<WordCount>): number {
    if (this.next >= this.lines.length) return END;
    let emitted = 0;
    while (emitted < max && this.next < this.lines.length) {
      const offset = this.next++;
      const [word, count, ...rest] = this.lines[offset].trim().split(/\s+/);
      // The offset is the line number: errors and dead letters name it.
      if (word && Number.isFinite(Number(count)) && rest.length === 0) out.emit({ word, count: Number(count) }, offset, NaN, performance.timeOrigin + performance.now());
      else out.deadLetter(this.lines[offset], 'expected "<word> <count>"', offset);
      emitted++;
    }
    return emitted;
  }

  position(): number {
    return this.next;
  }

  close(): void {}
}

export default defineJob(
  (env) => {
    env
      .source(wordCountFiles(env.params.dir ?? '.'), { name: 'lines' })
      .keyBy((e) => e.word, { name: 'by-word' })
      .reduce((a, b) => ({ word: a.word, count: a.count + b.count }), { name: 'sum' })
      .sinkTo(collect('totals'));
  },
  { name: 'custom-source' },
);
