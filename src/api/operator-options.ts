/**
 * What every operator's options are checked for when the job is defined: no key the operator does
 * not read (in plain JavaScript a misspelt option would be dropped without a word), and an
 * onError weir knows.
 */
import { WeirError } from '../errors.ts';
import { checkKnownKeys, type KeySet } from '../util/known-keys.ts';
import { errorPolicies, type ErrorPolicy } from './graph.ts';
import type { OperatorOptions } from './stream.ts';

export const operatorOptionKeys = { name: true, uid: true, onError: true } as const satisfies KeySet<OperatorOptions>;

/** An operator's options (`what`: the operator, for the message); `known`: its keys, when it takes more than name, uid and onError. */
export function checkOperatorOptions(what: string, options: object, known: Readonly<Record<string, true>> = operatorOptionKeys): void {
  checkKnownKeys(what, options, known, 'WEIR_JOB_DEFINITION');
  checkOptions(options);
}

/** onError, when given, is one weir knows. */
function checkOptions(options: { onError?: unknown }): void {
  if (options.onError !== undefined && !errorPolicies.includes(options.onError as ErrorPolicy)) {
    throw new WeirError('WEIR_JOB_DEFINITION', `onError must be 'fail' or 'dead-letter', not ${JSON.stringify(options.onError)}`);
  }
}
