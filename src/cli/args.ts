import { WeirError } from '../errors.ts';

/** `--param key=value` pairs into an object. */
export function parseParams(pairs: string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new WeirError('WEIR_CONFIG', `--param takes key=value, not "${pair}"`);
    params[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return params;
}

export function optionalNumber(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new WeirError('WEIR_CONFIG', `${flag} takes a number, not "${raw}"`);
  return value;
}

/** A comma-separated list of numbers; `k` and `M` suffixes allowed (100k, 1.5M). */
export function numberList(flag: string, raw: string): number[] {
  return raw.split(',').map((item) => {
    const m = /^\s*([0-9.]+)\s*([kKmM]?)\s*$/.exec(item);
    const value = m ? Number(m[1]) * (m[2] === '' ? 1 : m[2].toLowerCase() === 'k' ? 1e3 : 1e6) : NaN;
    if (!(value > 0)) throw new WeirError('WEIR_CONFIG', `${flag} takes numbers like 10000,50k,1M, not "${item}"`);
    return value;
  });
}
