/**
 * q13's bounded side input: a table of `nexmarkSideInputRows` rows (key, value), keys 0 … 9 999,
 * each value a function of the seed and the key. As the suite's side_input.txt, it is read as
 * CSV lines `key,value`; `writeNexmarkSideInput` writes it, `nexmarkSideInput` makes it in memory.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { WeirError } from '../../errors.ts';
import { mix32 } from '../../util/hash.ts';

export const nexmarkSideInputRows = 10_000;

/** The value of key `key`: the key and eight characters that only the seed and the key decide. */
export function nexmarkSideInputValue(seed: number, key: number): string {
  const h = mix32(mix32(seed) ^ Math.imul(key + 1, 0x9e3779b1)) >>> 0;
  return `${key}-${h.toString(36).padStart(7, '0')}`;
}

/** The side input table, key → value. */
export function nexmarkSideInput(seed = 1): Map<number, string> {
  const table = new Map<number, string>();
  for (let key = 0; key < nexmarkSideInputRows; key++) table.set(key, nexmarkSideInputValue(seed, key));
  return table;
}

/** Writes the side input table as CSV lines `key,value` into `file`. */
export function writeNexmarkSideInput(file: string, seed = 1): void {
  const lines: string[] = [];
  for (const [key, value] of nexmarkSideInput(seed)) lines.push(`${key},${value}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
}

/** Reads a side input file of CSV lines `key,value` (a value may hold commas: the first one separates). */
export function readNexmarkSideInput(file: string): Map<number, string> {
  const table = new Map<number, string>();
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line === '') return;
      const comma = line.indexOf(',');
      const key = Number(line.slice(0, comma));
      if (comma < 0 || !Number.isInteger(key)) throw new WeirError('WEIR_CONFIG', `nexmark side input ${file}, line ${i + 1}: not "key,value": ${JSON.stringify(line.slice(0, 80))}`);
      table.set(key, line.slice(comma + 1));
    });
  return table;
}
