/** fillLogFromGenerator: an embedded log filled with the generator's records. */
import { generator, type GeneratedEvent, type GeneratorOptions } from '../generator.ts';
import { END, type SourceContext, type SourceOutput, type SourceReader } from '../types.ts';
import { RecordBatch } from './format.ts';
import { EmbeddedLog } from './log.ts';

/**
 * Creates a log at `dir` with the generator's partitions and fills partition p with the records
 * of generator partition p (as JSON, unlimited rate, synchronously), so log offsets equal the
 * generator's seq. Returns the log, open for reading and writing.
 */
export function fillLogFromGenerator(dir: string, gen: GeneratorOptions & { count: number }): EmbeddedLog {
  const spec = generator({ ...gen, ratePerSec: 0 });
  const partitions = spec.partitions();
  const log = EmbeddedLog.create(dir, partitions);
  const batch = new RecordBatch(1 << 20);
  const out: SourceOutput<GeneratedEvent> = {
    emit: (value) => batch.addJson(value),
    deadLetter: () => {},
  };
  try {
    for (let p = 0; p < partitions; p++) {
      const ctx: SourceContext = { partition: p, parallelism: partitions, workDir: dir, startMs: 0, nowMs: () => 0 };
      const reader = spec.open(p, ctx) as SourceReader<GeneratedEvent>;
      while ((reader.poll(8192, out) as number) !== END) {
        log.appendRecordBatch(p, batch);
        batch.clear();
      }
      reader.close();
    }
  } catch (err) {
    log.close();
    throw err;
  }
  return log;
}
