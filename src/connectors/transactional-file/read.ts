/** Reading what a transactional file sink committed: the visible files, nothing hidden. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFinal } from './names.ts';

/**
 * The lines of every committed file `<prefix>-<subtask>-<checkpointId><ext>` in `dir`, ordered by
 * checkpoint id, then subtask (so the order is the same however the directory lists). In-progress
 * and pending files and other names are ignored; a missing directory has no lines.
 */
export function readCommittedLines(dir: string, opts: { prefix?: string } = {}): string[] {
  const prefix = opts.prefix ?? 'part';
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const files = names
    .map((name) => ({ name, part: parseFinal(name, prefix) }))
    .filter((f): f is { name: string; part: NonNullable<typeof f.part> } => f.part !== undefined)
    .sort((a, b) => a.part.checkpointId - b.part.checkpointId || a.part.subtask - b.part.subtask || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lines: string[] = [];
  for (const { name } of files) {
    const text = readFileSync(join(dir, name), 'utf8');
    if (text === '') continue;
    // Every line ends in "\n": the last split element is the empty rest after it.
    const split = text.split('\n');
    if (split[split.length - 1] === '') split.pop();
    for (const line of split) lines.push(line);
  }
  return lines;
}
