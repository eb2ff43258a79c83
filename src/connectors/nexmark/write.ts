/**
 * Writes generated Nexmark events where a user's data would be, so the same events can be read
 * back through an ordinary source: JSON-lines files (one per partition, for jsonLinesSource) or an
 * embedded log (one log partition per generator partition, for logSource). Line k of file p (and
 * offset k of log partition p) is event number p + k × partitions.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { WeirError } from '../../errors.ts';
import { EmbeddedLog } from '../embedded-log/log.ts';
import { RecordBatch } from '../embedded-log/format.ts';
import { nexmarkShareOf, resolveNexmarkOptions, type NexmarkOptions } from './config.ts';
import { NexmarkEventMaker } from './events.ts';

const linesPerWrite = 4096;
const logBatchRecords = 8192;

function boundedConfig(opts: NexmarkOptions, what: string) {
  const c = resolveNexmarkOptions(opts);
  if (c.count === Infinity) throw new WeirError('WEIR_CONFIG', `nexmark: ${what} needs a count`);
  return c;
}

/** The file of partition p in a directory written by writeNexmarkJsonLines. */
export const nexmarkJsonLinesFile = (dir: string, partition: number) => join(dir, `nexmark-${partition}.jsonl`);

/** Writes `dir`/nexmark-<p>.jsonl for every partition; returns the paths in partition order. */
export function writeNexmarkJsonLines(dir: string, opts: NexmarkOptions & { count: number }): string[] {
  const c = boundedConfig(opts, 'writeNexmarkJsonLines');
  const maker = new NexmarkEventMaker(c);
  const paths: string[] = [];
  for (let p = 0; p < c.partitions; p++) {
    const path = nexmarkJsonLinesFile(dir, p);
    const fd = openSync(path, 'w');
    try {
      const share = nexmarkShareOf(c.count, c.partitions, p);
      let lines: string[] = [];
      for (let k = 0; k < share; k++) {
        lines.push(JSON.stringify(maker.event(p + k * c.partitions)));
        if (lines.length === linesPerWrite || k === share - 1) {
          writeSync(fd, lines.join('\n') + '\n');
          lines = [];
        }
      }
    } finally {
      closeSync(fd);
    }
    paths.push(path);
  }
  return paths;
}

/** Creates an embedded log at `dir` with the generator's partitions and fills it (JSON payloads). */
export function writeNexmarkLog(dir: string, opts: NexmarkOptions & { count: number }): void {
  const c = boundedConfig(opts, 'writeNexmarkLog');
  const maker = new NexmarkEventMaker(c);
  const log = EmbeddedLog.create(dir, c.partitions);
  const batch = new RecordBatch(1 << 20);
  try {
    for (let p = 0; p < c.partitions; p++) {
      const share = nexmarkShareOf(c.count, c.partitions, p);
      for (let k = 0; k < share; k++) {
        batch.addJson(maker.event(p + k * c.partitions));
        if (batch.count === logBatchRecords || k === share - 1) {
          log.appendRecordBatch(p, batch);
          batch.clear();
        }
      }
    }
  } finally {
    log.close();
  }
}
