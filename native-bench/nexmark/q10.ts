// q10 by hand: every bid as a JSON line in a file of its partition directory `dt=…/hm=…` (the files
// go to a temporary directory, removed at the end); each row is emitted with its partition columns.
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dayOf, minuteOf } from '../../src/nexmark/calculations.ts';
import { bidRow, type PartitionedBidRow } from '../../src/nexmark/rows.ts';
import type { Baseline } from './baseline.ts';

/** Lines a partition keeps before they are appended to its file. */
const linesPerWrite = 1000;

export const q10: Baseline<PartitionedBidRow> = (events, emit) => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-q10-'));
  const open = new Map<string, { file: string; lines: string[] }>();
  const write = (p: { file: string; lines: string[] }) => {
    appendFileSync(p.file, p.lines.join('\n') + '\n');
    p.lines = [];
  };
  try {
    for (const e of events) {
      const b = e.bid;
      if (b === null) continue;
      const dt = dayOf(b.dateTime);
      const hm = minuteOf(b.dateTime);
      const partition = `dt=${dt}/hm=${hm}`;
      let p = open.get(partition);
      if (p === undefined) {
        mkdirSync(join(dir, partition), { recursive: true });
        open.set(partition, (p = { file: join(dir, partition, 'part.jsonl'), lines: [] }));
      }
      p.lines.push(JSON.stringify(bidRow(b)));
      if (p.lines.length >= linesPerWrite) write(p);
      // An object literal, not a spread of the row: a spread per row took the loop 1.5 times as long.
      emit({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra, dt, hm });
    }
    for (const p of open.values()) if (p.lines.length > 0) write(p);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
