import { closeSync, openSync } from 'node:fs';

/**
 * True for the first caller only, across threads, attempts and processes: whoever creates the
 * marker file fails; a restarted attempt finds it and goes on.
 */
export function failsFirstTime(marker: string): boolean {
  try {
    closeSync(openSync(marker, 'wx'));
    return true;
  } catch {
    return false;
  }
}
