/**
 * Options objects checked for keys nobody reads. TypeScript catches a misspelt option at compile
 * time; a job in plain JavaScript would run without it and say nothing (`paralellism: 2` ran on
 * the default parallelism). Each list is typed from the options' interface, so it cannot miss one.
 */
import { WeirError, type ErrorCode } from '../errors.ts';
import { editDistance } from './edit-distance.ts';

/** Every key of T (optional ones too), as a set: `satisfies`-checked against the interface. */
export type KeySet<T> = { readonly [K in keyof Required<T>]: true };

/** Throws `code` naming the first key of `given` that `known` lacks, the closest known one, and the known ones. */
export function checkKnownKeys(what: string, given: unknown, known: Readonly<Record<string, true>>, code: ErrorCode = 'WEIR_CONFIG'): void {
  if (given === null || typeof given !== 'object') return;
  for (const key of Object.keys(given)) {
    if (Object.hasOwn(known, key)) continue;
    const names = Object.keys(known);
    const close = names.filter((k) => editDistance(k, key) <= 2);
    const hint = close.length === 1 ? ` (did you mean "${close[0]}"?)` : '';
    throw new WeirError(code, `${what}: unknown option "${key}"${hint}; the options are ${names.join(', ')}`);
  }
}
